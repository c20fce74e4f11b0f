//! Facts stated in Vietnamese administrative text — numbers with units, money, percentages,
//! dates, times and document numbers — normalised so that two wordings of the same fact
//! compare equal ("1,5 tỷ đồng" = "1.500 triệu đồng" = 1 500 000 000 đồng).
//!
//! Number formats follow Vietnamese usage: `.` groups thousands and `,` marks decimals
//! ("1.250.000", "1,5"). A single `.` followed by other than three digits is read as a decimal
//! point, and several `,` groups of three as English thousands, since both occur in posts.

use crate::text::vietnamese;
use regex::Regex;
use std::sync::OnceLock;

/// What sort of fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    /// A count or measure with its unit word ("120 hộ", "35 ha", "2,5 km").
    Quantity,
    /// An amount of money (in đồng unless another currency is named).
    Money,
    Percent,
    Date,
    Time,
    /// The number of a legal document ("12/2024/NĐ-CP").
    DocNumber,
}

impl FactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Quantity => "quantity",
            FactKind::Money => "money",
            FactKind::Percent => "percent",
            FactKind::Date => "date",
            FactKind::Time => "time",
            FactKind::DocNumber => "doc_number",
        }
    }

    /// A Vietnamese name for messages.
    pub fn name_vi(self) -> &'static str {
        match self {
            FactKind::Quantity => "số liệu",
            FactKind::Money => "số tiền",
            FactKind::Percent => "tỷ lệ",
            FactKind::Date => "ngày",
            FactKind::Time => "giờ",
            FactKind::DocNumber => "số văn bản",
        }
    }
}

/// The normalised value of a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    Number(f64),
    /// A calendar date; a missing year or day means the text did not state it.
    Date {
        year: Option<i32>,
        month: u32,
        day: Option<u32>,
    },
    /// Minutes after midnight.
    Time(u32),
    /// Document number, upper case, without spaces.
    Doc(String),
}

impl FactValue {
    /// Whether two values state the same thing; `approx` allows the 10 % slack of "khoảng",
    /// "gần", "hơn".
    pub fn agrees(&self, other: &FactValue, approx: bool) -> bool {
        match (self, other) {
            (FactValue::Number(a), FactValue::Number(b)) => {
                let scale = a.abs().max(b.abs()).max(1e-9);
                let tolerance = if approx { 0.1 } else { 1e-9 };
                (a - b).abs() / scale <= tolerance
            }
            (
                FactValue::Date {
                    year: y1,
                    month: m1,
                    day: d1,
                },
                FactValue::Date {
                    year: y2,
                    month: m2,
                    day: d2,
                },
            ) => {
                m1 == m2
                    && (y1.is_none() || y2.is_none() || y1 == y2)
                    && (d1.is_none() || d2.is_none() || d1 == d2)
            }
            (FactValue::Time(a), FactValue::Time(b)) => a == b,
            (FactValue::Doc(a), FactValue::Doc(b)) => a == b,
            _ => false,
        }
    }

    /// A readable form for messages: "1.500.000.000", "12/3/2024", "14:30".
    pub fn display(&self) -> String {
        match self {
            FactValue::Number(x) => format_number(*x),
            FactValue::Date { year, month, day } => {
                let mut s = String::new();
                if let Some(d) = day {
                    s.push_str(&format!("{d}/"));
                }
                s.push_str(&month.to_string());
                if let Some(y) = year {
                    s.push_str(&format!("/{y}"));
                }
                s
            }
            FactValue::Time(m) => format!("{:02}:{:02}", m / 60, m % 60),
            FactValue::Doc(d) => d.clone(),
        }
    }
}

/// Formats a number the Vietnamese way: thousands grouped with `.`, decimals after `,`.
fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let neg = x < 0.0;
    let x = x.abs();
    let int = x.trunc();
    let frac = ((x - int) * 1000.0).round() as u64;
    let digits = format!("{int:.0}");
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if frac > 0 {
        let f = format!("{frac:03}");
        grouped.push(',');
        grouped.push_str(f.trim_end_matches('0'));
    }
    if neg {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// One fact found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub kind: FactKind,
    pub value: FactValue,
    /// What the value counts, for alignment: the unit word of a quantity ("ho", "ha"), the
    /// currency of money ("vnd"), the type code of a document number ("QD"); empty otherwise.
    /// Plain (no diacritics), lowercase except document codes.
    pub unit: String,
    /// Char offsets in the text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// The fact as written.
    pub text: String,
    /// Plain content words around the fact in the same clause: up to four before, then up to
    /// three after (the unit word of a quantity among them).
    pub context: Vec<String>,
    /// Preceded by an approximation word ("khoảng", "gần", "xấp xỉ", "ước"). Bounds such as
    /// "hơn", "trên" are not approximations: "trên 95%" and "trên 90%" differ.
    pub approx: bool,
}

/// Lowercase and remove Vietnamese diacritics (đ → d).
pub fn plain(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(vietnamese::strip)
        .collect()
}

/// Words that carry no subject: they are neither units nor useful context.
pub(crate) fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "va" | "voi"
            | "la"
            | "da"
            | "duoc"
            | "tai"
            | "trong"
            | "cac"
            | "nhung"
            | "co"
            | "de"
            | "cho"
            | "tu"
            | "den"
            | "nay"
            | "do"
            | "cua"
            | "ma"
            | "nhu"
            | "theo"
            | "tren"
            | "duoi"
            | "sau"
            | "truoc"
            | "khi"
            | "se"
            | "dang"
            | "cung"
            | "bang"
            | "ve"
            | "vao"
            | "ra"
            | "o"
            | "hon"
            | "gan"
            | "khoang"
            | "moi"
            | "mot"
            | "con"
            | "vien"
            | "nen"
            | "neu"
            | "hoac"
            | "ngay"
            | "thang"
            | "nam"
            | "luc"
            | "tong"
            | "so"
            | "toi"
            | "len"
            | "xuong"
            | "dat"
    )
}

fn unit_key(word: &str) -> String {
    let w = plain(word);
    match w.as_str() {
        "hecta" | "hec" | "hecta." | "hectare" => "ha".into(),
        "kilomet" | "ki" | "cay" => "km".into(),
        "kilogam" | "kilogram" => "kg".into(),
        "m2" | "m²" => "m2".into(),
        "m3" | "m³" => "m3".into(),
        _ => w,
    }
}

struct Patterns {
    doc: Regex,
    date_pair: Regex,
    date_full: Regex,
    date_words: Regex,
    date_short: Regex,
    month_year: Regex,
    time: Regex,
    clock: Regex,
    percent: Regex,
    money_compound: Regex,
    amount: Regex,
}

/// A number as written in Vietnamese or English style.
const NUM: &str = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|\d+(?:[.,]\d+)?";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("fact patterns are valid");
        Patterns {
            doc: re(r"(\d{1,5})\s*/\s*(?:(\d{4})\s*/\s*)?([A-ZĐ]{2,}[A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*)"),
            // Two days of one month: "ngày 25 và 26/6", "ngày 6-7/6/2024".
            date_pair: re(
                r"(?i)\bngày\s+(\d{1,2})\s*(?:và|,|-|–|đến)\s*(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?\b",
            ),
            date_full: re(r"\b(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*[/.-]\s*(\d{4})\b"),
            date_words: re(r"(?i)ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:năm|,)\s*(\d{4}))?"),
            // A day and month after "ngày" or a part of the day: "ngày 3/9", "tối 14/3".
            date_short: re(
                r"(?i)\b(?:ngày|hôm|sáng|trưa|chiều|tối|đêm)\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\b",
            ),
            month_year: re(r"(?i)tháng\s+(\d{1,2})\s*(?:/|-|năm)\s*(\d{4})\b"),
            time: re(r"(?i)\b(\d{1,2})\s*(giờ|h)(?:\s*(\d{1,2})(?:\s*phút)?)?"),
            clock: re(r"\b(\d{1,2}):(\d{2})\b"),
            percent: re(&format!(r"(?i)({NUM})\s*(?:%|phần\s+trăm)")),
            money_compound: re(&format!(
                r"(?i)({NUM})\s*(?:tỷ|tỉ)\s+({NUM})\s*triệu(?:\s*(?:đồng|vnđ|vnd|đ)\b)?"
            )),
            amount: re(&format!(
                r"(?i)({NUM})(?:\s*(tỷ|tỉ|triệu|nghìn|ngàn)|(k)\b)?"
            )),
        }
    })
}

/// Parses a number written with Vietnamese or English separators.
pub fn parse_number(s: &str) -> Option<f64> {
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let normalized: String = if dots > 0 && commas > 0 {
        // The separator that comes last is the decimal one.
        let (thousands, decimal) = if s.rfind('.') > s.rfind(',') {
            (',', '.')
        } else {
            ('.', ',')
        };
        s.chars()
            .filter(|&c| c != thousands)
            .map(|c| if c == decimal { '.' } else { c })
            .collect()
    } else if dots > 1 || (dots == 1 && s.split('.').nth(1).is_some_and(|f| f.len() == 3)) {
        s.replace('.', "")
    } else if commas > 1 {
        s.replace(',', "")
    } else {
        s.replace(',', ".")
    };
    normalized.parse().ok().filter(|x: &f64| x.is_finite())
}

fn multiplier(word: &str) -> f64 {
    match plain(word).as_str() {
        "ty" | "ti" => 1e9,
        "trieu" => 1e6,
        "nghin" | "ngan" | "k" => 1e3,
        _ => 1.0,
    }
}

/// A word of the text: plain form and byte range.
struct Word {
    plain: String,
    start: usize,
    end: usize,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let is_word = c.is_alphanumeric();
        match (start, is_word) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push(Word {
                    plain: plain(&text[s..i]),
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Extracts the facts of a text, in text order, without overlaps.
pub fn extract(text: &str) -> Vec<Fact> {
    let p = patterns();
    let words = words(text);
    // Candidate facts as (byte start, byte end, kind, value, unit), in priority order: a
    // document number beats the date-like digits inside it, a date beats a bare number.
    let mut raw: Vec<(usize, usize, FactKind, FactValue, String)> = Vec::new();

    for c in p.doc.captures_iter(text) {
        let (Some(m), Some(n), Some(code)) = (c.get(0), c.get(1), c.get(3)) else {
            continue;
        };
        if preceded_by_alnum(text, m.start()) {
            continue;
        }
        let mut value = n.as_str().trim_start_matches('0').to_string();
        if let Some(y) = c.get(2) {
            value.push('/');
            value.push_str(y.as_str());
        }
        value.push('/');
        value.push_str(&code.as_str().to_uppercase());
        let unit = plain(code.as_str().split('-').next().unwrap_or("")).to_uppercase();
        raw.push((
            m.start(),
            m.end(),
            FactKind::DocNumber,
            FactValue::Doc(value),
            unit,
        ));
    }
    for c in p.date_pair.captures_iter(text) {
        let (Some(first), Some(second), Some(mo)) = (c.get(1), c.get(2), c.get(3)) else {
            continue;
        };
        let year = c.get(4).map(|y| y.as_str());
        let end = c.get(0).map_or(second.end(), |m| m.end());
        for (start, end, day) in [
            (first.start(), first.end(), first.as_str()),
            (second.start(), end, second.as_str()),
        ] {
            if let Some(v) = date_value(year, mo.as_str(), Some(day)) {
                raw.push((start, end, FactKind::Date, v, String::new()));
            }
        }
    }
    for c in p.date_full.captures_iter(text) {
        let (Some(m), Some(d), Some(mo), Some(y)) = (c.get(0), c.get(1), c.get(3), c.get(4)) else {
            continue;
        };
        if preceded_by_alnum(text, m.start()) || text[m.end()..].starts_with('/') {
            continue;
        }
        if let Some(v) = date_value(Some(y.as_str()), mo.as_str(), Some(d.as_str())) {
            raw.push((m.start(), m.end(), FactKind::Date, v, String::new()));
        }
    }
    for c in p.date_words.captures_iter(text) {
        let (Some(m), Some(d), Some(mo)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if let Some(v) = date_value(c.get(3).map(|y| y.as_str()), mo.as_str(), Some(d.as_str())) {
            raw.push((m.start(), m.end(), FactKind::Date, v, String::new()));
        }
    }
    for c in p.date_short.captures_iter(text) {
        let (Some(m), Some(d), Some(mo)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if let Some(v) = date_value(None, mo.as_str(), Some(d.as_str())) {
            raw.push((m.start(), m.end(), FactKind::Date, v, String::new()));
        }
    }
    for c in p.month_year.captures_iter(text) {
        let (Some(m), Some(mo), Some(y)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if let Some(v) = date_value(Some(y.as_str()), mo.as_str(), None) {
            raw.push((m.start(), m.end(), FactKind::Date, v, String::new()));
        }
    }
    for c in p.time.captures_iter(text) {
        let (Some(m), Some(h), Some(marker)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        // "8ha", "5 hộ": an `h` glued to further letters is not an hour.
        let after = text[m.end()..].chars().next();
        if after.is_some_and(char::is_alphanumeric) || preceded_by_alnum(text, m.start()) {
            continue;
        }
        let (Ok(hour), minute) = (
            h.as_str().parse::<u32>(),
            c.get(3).map(|x| x.as_str().parse::<u32>()),
        ) else {
            continue;
        };
        let minute = match minute {
            Some(Ok(mi)) => mi,
            Some(Err(_)) => continue,
            None => 0,
        };
        // "trong 24 giờ" is a duration, not a time: an hour marker without minutes after a
        // duration word stays a quantity.
        if marker.as_str().len() > 1 && c.get(3).is_none() {
            let prev = words
                .iter()
                .rev()
                .find(|w| w.end <= m.start())
                .map(|w| w.plain.as_str());
            if !matches!(
                prev,
                Some("luc" | "tu" | "den" | "vao" | "truoc" | "sau" | "toi")
            ) {
                continue;
            }
        }
        if hour < 24 && minute < 60 {
            raw.push((
                m.start(),
                m.end(),
                FactKind::Time,
                FactValue::Time(hour * 60 + minute),
                String::new(),
            ));
        }
    }
    for c in p.clock.captures_iter(text) {
        let (Some(m), Some(h), Some(mi)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        let (Ok(h), Ok(mi)) = (h.as_str().parse::<u32>(), mi.as_str().parse::<u32>()) else {
            continue;
        };
        if h < 24 && mi < 60 {
            raw.push((
                m.start(),
                m.end(),
                FactKind::Time,
                FactValue::Time(h * 60 + mi),
                String::new(),
            ));
        }
    }
    for c in p.percent.captures_iter(text) {
        let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if preceded_by_alnum(text, m.start()) {
            continue;
        }
        if let Some(x) = parse_number(n.as_str()) {
            raw.push((
                m.start(),
                m.end(),
                FactKind::Percent,
                FactValue::Number(x),
                String::new(),
            ));
        }
    }
    for c in p.money_compound.captures_iter(text) {
        let (Some(m), Some(a), Some(b)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if let (Some(a), Some(b)) = (parse_number(a.as_str()), parse_number(b.as_str())) {
            raw.push((
                m.start(),
                m.end(),
                FactKind::Money,
                FactValue::Number(a * 1e9 + b * 1e6),
                "vnd".into(),
            ));
        }
    }
    for c in p.amount.captures_iter(text) {
        let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if preceded_by_alnum(text, m.start()) || text[m.end()..].starts_with(['/', '%']) {
            continue;
        }
        let Some(x) = parse_number(n.as_str()) else {
            continue;
        };
        let mult_word = c.get(2).or(c.get(3)).map(|w| w.as_str());
        let value = x * mult_word.map_or(1.0, multiplier);
        // The word after the number (and multiplier) says what it counts.
        let next = words.iter().find(|w| w.start >= m.end());
        let gap_ok = next.is_some_and(|w| {
            text[m.end()..w.start]
                .chars()
                .all(|c| c == ' ' || c == '\u{a0}')
        });
        let next_plain = next.filter(|_| gap_ok).map(|w| w.plain.as_str());
        let end_with = |w: &Word| w.end;
        match next_plain {
            Some("dong" | "vnd" | "d" | "usd") => {
                let w = next.map(end_with).unwrap_or(m.end());
                let cur = if next_plain == Some("usd") {
                    "usd"
                } else {
                    "vnd"
                };
                raw.push((
                    m.start(),
                    w,
                    FactKind::Money,
                    FactValue::Number(value),
                    cur.into(),
                ));
            }
            _ if c.get(3).is_some() => {
                raw.push((
                    m.start(),
                    m.end(),
                    FactKind::Money,
                    FactValue::Number(value),
                    "vnd".into(),
                ));
            }
            Some(w)
                if (!is_stopword(w) || matches!(w, "ngay" | "thang" | "nam"))
                    && !w.chars().any(|c| c.is_ascii_digit())
                    && !labels_a_number(
                        words
                            .iter()
                            .rev()
                            .find(|w| w.end <= m.start())
                            .filter(|w| text[w.end..m.start()].trim().is_empty()),
                    ) =>
            {
                // A measure word counts what follows it: "25 triệu lượt hành khách" and
                // "25 triệu hành khách" count the same passengers.
                let counted = next.filter(|_| w == "luot").and_then(|nw| {
                    words
                        .iter()
                        .find(|a| a.start >= nw.end)
                        .filter(|a| text[nw.end..a.start].chars().all(|c| c == ' '))
                });
                let unit = counted.or(next);
                let unit_word = unit.map_or("", |nw| &text[nw.start..nw.end]);
                let e = unit.map(end_with).unwrap_or(m.end());
                raw.push((
                    m.start(),
                    e,
                    FactKind::Quantity,
                    FactValue::Number(value),
                    unit_key(unit_word),
                ));
            }
            _ if matches!(mult_word.map(plain).as_deref(), Some("ty" | "ti" | "trieu")) => {
                raw.push((
                    m.start(),
                    m.end(),
                    FactKind::Money,
                    FactValue::Number(value),
                    "vnd".into(),
                ));
            }
            _ => {}
        }
    }

    // Keep the first candidate of every overlapping group, in priority order.
    let mut kept: Vec<(usize, usize, FactKind, FactValue, String)> = Vec::new();
    for cand in raw {
        if kept.iter().all(|k| cand.1 <= k.0 || cand.0 >= k.1) {
            kept.push(cand);
        }
    }
    kept.sort_by_key(|k| k.0);
    let offsets = crate::text::CharOffsets::new(text);
    kept.into_iter()
        .map(|(s, e, kind, value, unit)| {
            let (start, end) = offsets.span(s, e);
            let before: Vec<&Word> = words.iter().filter(|w| w.end <= s).collect();
            let clause_start = text[..s]
                .rfind(['.', ';', '\n', '!', '?'])
                .map_or(0, |i| i + 1);
            let context: Vec<String> = before
                .iter()
                .rev()
                .take_while(|w| w.start >= clause_start)
                .filter(|w| !is_stopword(&w.plain) && !w.plain.chars().any(|c| c.is_ascii_digit()))
                .take(4)
                .map(|w| w.plain.clone())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            // Content words after the fact in the same clause help too ("từ ngày 15/4 các
            // bệnh viện …"); they go after the ones before.
            let clause_end = text[e..]
                .find(['.', ';', '\n', '!', '?', ','])
                .map_or(text.len(), |i| e + i);
            let after = words
                .iter()
                .filter(|w| w.start >= e && w.end <= clause_end)
                .filter(|w| !is_stopword(&w.plain) && !w.plain.chars().any(|c| c.is_ascii_digit()))
                .take(3)
                .map(|w| w.plain.clone());
            let context: Vec<String> = context.into_iter().chain(after).collect();
            let approx = before.iter().rev().take(2).any(|w| {
                matches!(
                    w.plain.as_str(),
                    "khoang" | "gan" | "xap" | "xi" | "chung" | "uoc"
                )
            });
            Fact {
                kind,
                value,
                unit,
                start,
                end,
                text: text[s..e].to_string(),
                context,
                approx,
            }
        })
        .collect()
}

/// Words after which a number is a label or a year, not a count: "năm 2024", "Điều 5",
/// "phường 3", "tầng 12".
fn labels_a_number(prev: Option<&Word>) -> bool {
    prev.is_some_and(|w| {
        matches!(
            w.plain.as_str(),
            "nam"
                | "so"
                | "dieu"
                | "khoan"
                | "muc"
                | "chuong"
                | "phuong"
                | "quan"
                | "duong"
                | "phong"
                | "tang"
                | "lan"
                | "thu"
                | "khu"
                | "to"
                | "ap"
                | "thon"
                | "doi"
                | "khoa"
                | "ky"
                | "giai"
                | "dot"
                | "lop"
                | "nha"
                | "hem"
                | "ngo"
                | "km"
        )
    })
}

fn preceded_by_alnum(text: &str, byte: usize) -> bool {
    text[..byte]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | ',' | '-'))
}

fn date_value(year: Option<&str>, month: &str, day: Option<&str>) -> Option<FactValue> {
    let month: u32 = month.parse().ok()?;
    let year: Option<i32> = match year {
        Some(y) => Some(y.parse().ok()?),
        None => None,
    };
    let day: Option<u32> = match day {
        Some(d) => Some(d.parse().ok()?),
        None => None,
    };
    if !(1..=12).contains(&month) {
        return None;
    }
    if let Some(d) = day {
        let max = super::calendar::days_in_month(year.unwrap_or(2000), month);
        if d == 0 || d > max {
            return None;
        }
    }
    if year.is_some_and(|y| !(1900..=2200).contains(&y)) {
        return None;
    }
    Some(FactValue::Date { year, month, day })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (FactKind, FactValue, String) {
        let f = extract(text);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        (f[0].kind, f[0].value.clone(), f[0].unit.clone())
    }

    #[test]
    fn normalises_money() {
        let n = |x: f64| FactValue::Number(x);
        assert_eq!(
            one("hỗ trợ 1,5 tỷ đồng"),
            (FactKind::Money, n(1.5e9), "vnd".into())
        );
        assert_eq!(
            one("cấp 1.500 triệu đồng"),
            (FactKind::Money, n(1.5e9), "vnd".into())
        );
        assert_eq!(
            one("mức 200 triệu cho mỗi hộ"),
            (FactKind::Money, n(2e8), "vnd".into())
        );
        assert_eq!(
            one("phí 1.250.000 đồng"),
            (FactKind::Money, n(1_250_000.0), "vnd".into())
        );
        assert_eq!(
            one("vé 350k một người"),
            (FactKind::Money, n(350_000.0), "vnd".into())
        );
        assert_eq!(
            one("tổng 1 tỷ 200 triệu đồng"),
            (FactKind::Money, n(1.2e9), "vnd".into())
        );
    }

    #[test]
    fn normalises_quantities_percentages_dates_times_and_documents() {
        let n = |x: f64| FactValue::Number(x);
        assert_eq!(
            one("có 1.200 hộ dân"),
            (FactKind::Quantity, n(1200.0), "ho".into())
        );
        assert_eq!(
            one("rộng 35 ha"),
            (FactKind::Quantity, n(35.0), "ha".into())
        );
        assert_eq!(
            one("đạt 15,5%"),
            (FactKind::Percent, n(15.5), String::new())
        );
        assert_eq!(
            one("tăng 12 phần trăm"),
            (FactKind::Percent, n(12.0), String::new())
        );
        let date = FactValue::Date {
            year: Some(2024),
            month: 3,
            day: Some(12),
        };
        assert_eq!(one("Ngày 12/3/2024, tỉnh họp").1, date);
        assert_eq!(one("ngày 12 tháng 3 năm 2024").1, date);
        assert_eq!(one("bắt đầu lúc 14h30").1, FactValue::Time(870));
        assert_eq!(one("từ 8:00 sáng").1, FactValue::Time(480));
        assert_eq!(one("vào lúc 14 giờ 30 phút").1, FactValue::Time(870));
        assert_eq!(
            one("theo Nghị định số 12/2024/NĐ-CP"),
            (
                FactKind::DocNumber,
                FactValue::Doc("12/2024/NĐ-CP".into()),
                "ND".into()
            )
        );
        assert_eq!(
            one("Quyết định 874/QĐ-BTTTT").1,
            FactValue::Doc("874/QĐ-BTTTT".into())
        );
        assert_eq!(one("Công văn 45/UBND-VX").2, "UBND");
        // A part of the day introduces a day and month; two days may share one month.
        let day = |d: u32, y: Option<i32>| FactValue::Date {
            year: y,
            month: 3,
            day: Some(d),
        };
        assert_eq!(one("khai mạc tối 14/3 tại quảng trường").1, day(14, None));
        let pair: Vec<FactValue> = extract("thi trong ngày 25 và 26/3/2025")
            .into_iter()
            .map(|f| f.value)
            .collect();
        assert_eq!(pair, [day(25, Some(2025)), day(26, Some(2025))]);
        assert!(extract("giảm 2/3 số hộ")
            .iter()
            .all(|f| f.kind != FactKind::Date));
        // A measure word does not change what is counted.
        assert_eq!(one("đón 25 lượt khách").2, one("đón 25 khách").2);
        assert!(extract("xe chạy 8ha đất")
            .iter()
            .all(|f| f.kind != FactKind::Time));
    }

    #[test]
    fn parses_both_number_styles() {
        assert_eq!(parse_number("1.250.000"), Some(1_250_000.0));
        assert_eq!(parse_number("1,5"), Some(1.5));
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number("1,250,000"), Some(1_250_000.0));
        assert_eq!(parse_number("1.250,75"), Some(1250.75));
        assert_eq!(format_number(1_500_000_000.0), "1.500.000.000");
        assert_eq!(format_number(15.5), "15,5");
    }
}
