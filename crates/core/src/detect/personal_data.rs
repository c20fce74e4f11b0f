//! Personal-data recognisers (`personal_data` category): CCCD, CMND, phone, e-mail, tax code,
//! bank account, bank card, licence plate, passport, street address and date of birth, following
//! the identifier formats of RULES.md.
//!
//! How it works, and why:
//!
//! * **Pre-filter and gates.** Every kind needs an ASCII digit, except e-mail (`@`) and
//!   digit-free rural addresses (which always name a "xã" or "huyện"). Most posts have none of
//!   these, so they cost a few byte scans. Each recogniser also has a cheap necessary condition
//!   (a minimum digit count, a plate-like start, a birth word anywhere in the text): a regex
//!   search per number in a post costs more than everything else together.
//! * **Shape first, then validation.** A handful of regexes find candidate shapes (phone, bare
//!   number tokens, plates, passports, dates, e-mails, address anchors). Each candidate is then
//!   validated with what the formats give us: CCCD province code and a possible birth year, the
//!   MST check digit, Luhn for cards, mobile prefixes, plate locality, calendar dates.
//! * **Context labels decide the ambiguous cases.** Many identifiers are just digit runs (a
//!   9-digit CMND, a bank account). We look at the words just before the number (back to the
//!   previous number, at most [`BEFORE_CHARS`] chars) and take the *nearest* label: "STK" makes
//!   an account, "MST" a tax code, "mã đơn hàng" or "giá" makes it not personal at all. Cutting
//!   the window at the previous number keeps "MST: …, SĐT: 0912…" from leaking the MST label onto
//!   the phone; list joiners ("hoặc", ",") are hopped over so "STK 123… hoặc 456…" shares it.
//! * **One span, one kind.** All candidates are collected with a score, then the best-scoring
//!   non-overlapping ones are kept: a labelled tax code beats the phone reading of the same
//!   digits, a CCCD is never also a CMND.
//!
//! Offsets are converted once, at the end, from bytes to chars (Unicode scalar values).
//!
//! Known gaps (deliberate or not yet handled): "Birthday:" (left out because "sinh nhật"/birthday dates are usually party
//! dates); a birth year alone ("sinh năm 1990") is not a `dob`; a bare 9-digit number is never a
//! CMND and a bare 10-digit MST never a tax code (both need a label); cards of other networks
//! than NAPAS 9704 need a card label; landlines need a phone label or `+84`/`(0xx)` formatting;
//! the address grammar matches NFC text only (labels are NFC-normalised, address keywords not).

use aho_corasick::AhoCorasick;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

mod address;
mod checks;
mod contact;
mod context;
mod documents;
mod numbers;
mod score;
#[cfg(test)]
mod tests;
mod words;

pub use score::{score_spans, span_iou, KindCounts, PersonalDataScores, MIN_IOU};

use address::AddressGrammar;
use context::{after_window, before_window, char_count, next_char, plate_start_exists, prev_char};
use words::word_lists;

use crate::finding::{Category, Detection, PersonalDataKind};

/// Birth years after this are impossible. Fixed rather than read from the clock so that the
/// core stays pure and results are reproducible.
pub const REFERENCE_YEAR: u32 = 2026;

/// How far back (in chars) a context label may be from the identifier it qualifies.
const BEFORE_CHARS: usize = 60;
/// How far forward (in chars) we look for a label written after the identifier.
const AFTER_CHARS: usize = 30;

/// CCCD province codes (RULES.md, "Identifier formats").
const CCCD_PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// What a context word says about a nearby identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Cccd,
    Cmnd,
    Phone,
    Tax,
    /// "STK", "số tài khoản", a bank's name: a following number is an account.
    Bank,
    /// "tài khoản", "chuyển khoản", "ngân hàng": weaker, so it needs a longer number.
    BankWeak,
    Card,
    Passport,
    Plate,
    /// "ngày sinh", "sinh ngày", "DOB".
    Dob,
    /// "sinh", "sn": only right before the date.
    DobWeak,
    /// "sinh nhật", "học sinh", …: words containing a birth word that are not about a birth date.
    NotDob,
    /// "địa chỉ", "trú tại", "nhà ở", …
    Address,
    /// Order, transaction, document and product codes, prices and amounts: the number is not
    /// personal data.
    NotPersonal,
}

impl Label {
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    start: usize,
    end: usize,
    kind: PersonalDataKind,
    score: f32,
    reason: String,
}

/// Labels found in a context window.
#[derive(Debug, Default, Clone, Copy)]
struct LabelInfo {
    /// The label closest to the identifier.
    nearest: Option<Label>,
    /// Chars between that label and the identifier.
    gap: usize,
    /// Every label seen in the window (bit set of [`Label::bit`]).
    set: u32,
}

impl LabelInfo {
    fn has(&self, l: Label) -> bool {
        self.set & l.bit() != 0
    }
    fn nearest_is(&self, l: Label) -> bool {
        self.nearest == Some(l)
    }
}

/// Recognises personal data in one text. Build once with [`PersonalDataDetector::new`]; `detect`
/// takes `&self` and allocates only when a text contains a candidate.
pub struct PersonalDataDetector {
    email: Regex,
    phone: Regex,
    /// Mobile numbers whose prefix is split by a separator: pairs ("09.12.34.56.78") and digit
    /// by digit ("0 9 8 7 6 5 4 3 2 1"), see [`split_phone_shape`](contact::split_phone_shape).
    phone_split: Regex,
    landline: Regex,
    plate: Regex,
    date: Regex,
    address: AddressGrammar,
    labels: AhoCorasick,
    /// ASCII words that every birth label contains (any case).
    birth_words: AhoCorasick,
}

impl Default for PersonalDataDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl PersonalDataDetector {
    pub fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("personal_data regex");
        let labels = AhoCorasick::new(word_lists().labels.iter().map(|(k, _)| k.as_str()))
            .expect("label automaton");
        PersonalDataDetector {
            email: re(
                r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_])?@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}",
            ),
            // (+84|84|0) + mobile prefix + 7 digits, with optional single separators; "+84 (0)"
            // is the international form that keeps the trunk zero.
            phone: re(
                r"(?:\(\+84\)[ .\-]?|\+84[ .\-]?(?:\(0\)[ .\-]?)?|84[ .\-]?|0)(?:3[2-9]|5[2689]|7[06-9]|8[1-9]|9[0-46-9])(?:[ .\-]?[0-9]){7}",
            ),
            // Landlines: 0 + 2x(x) area code, 10 significant digits in all.
            // The shapes are checked in code (one separator throughout, all pairs or all
            // single digits, a mobile prefix), because the regex crate has no backreferences.
            phone_split: re(
                r"0[0-9](?:[ .\-][0-9]{2}){4}|0(?:[ .\-][0-9]){9}|\+84(?:[ .\-][0-9]){9}",
            ),
            landline: re(r"(?:\(\+84\)[ .\-]?|\+84[ .\-]?|\(0|0)2[0-9](?:[ .\-)]{0,2}[0-9]){8}"),
            plate: re(
                r"(?P<loc>[0-9]{2})(?P<s1> ?- ?| )?(?P<ser>MĐ[0-9]?|[A-Z]{1,2}[0-9]?)(?P<s2> ?[\-.] ?| )?(?P<num>[0-9]{3}\.[0-9]{2}|[0-9]{4,5})",
            ),
            date: re(
                r"(?P<d>[0-9]{1,2}) ?[/.\-] ?(?P<m>[0-9]{1,2}) ?[/.\-] ?(?P<y>[0-9]{4}|[0-9]{2})|(?P<y2>[0-9]{4})[/.\-](?P<m2>[0-9]{1,2})[/.\-](?P<d2>[0-9]{1,2})|(?P<d3>[0-9]{1,2})\s+(?i:tháng)\s+(?P<m3>[0-9]{1,2})\s*,?\s+(?i:năm)\s+(?P<y3>[0-9]{4})",
            ),
            address: AddressGrammar {
                // Where an address may start: a house-number word, a hamlet word, or a bare
                // number followed by a street (a capitalised word or a street keyword), so the
                // many numbers that start nothing cost no extra search.
                anchor: re(concat!(
                    r"(?i:số\s+nhà|nhà\s+số|số|ngõ|ngách|hẻm|kiệt)\s*[0-9]",
                    r"|(?i:tổ\s+dân\s+phố|khu\s+phố|thôn|xóm|ấp|bản|làng|tổ|kp|khu|khối)\s+(?:[0-9]|\p{Lu})",
                    r"|[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3} +(?:\p{Lu}|(?i:đường|phố|ngõ|ngách|hẻm|kiệt)\s)",
                )),
                sep: re(r"^(?:\s*[,;]\s*|\s+[-–]\s+|\s+)"),
                house: re(
                    r"^(?:(?i:số\s+nhà|nhà\s+số|số)\s*)?[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3}",
                ),
                unit: re(
                    r"^(?i:(?P<kw>tổ\s+dân\s+phố|tdp|khu\s+phố|khu\s+đô\s+thị|kđt|thị\s+trấn|thị\s+xã|thành\s+phố|ngõ|ngách|hẻm|kiệt|đường|phố|tổ|kp|khu|khối|thôn|xóm|ấp|bản|làng|phường|xã|quận|huyện|tỉnh|tp|tx|tt))(?:\.\s*|\s+)",
                ),
                abbr: re(r"^(?P<kw>[PpQqFf])(?:\.\s?|)(?P<v>[0-9]{1,2})|^(?P<kw2>[PQ])\.\s?"),
                value_num: re(r"^[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3}"),
                name: re(r"^\p{Lu}[\p{L}\p{M}]*(?: \p{Lu}[\p{L}\p{M}]*){0,5}"),
            },
            labels,
            birth_words: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["sinh", "sn", "ns", "dob", "d.o.b", "birth", "born"])
                .expect("birth word automaton"),
        }
    }

    /// Pushes one [`Detection`] per personal-data span found in `text` (category
    /// `personal_data`, `kind` set, char offsets into `text`), in text order.
    pub fn detect(&self, text: &str, out: &mut Vec<Detection>) {
        let bytes = text.as_bytes();
        // One pass (vectorised) gives a cheap gate per recogniser: each needs a minimum number
        // of digits, and most posts with numbers have only a price or a date.
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        let has_digit = digits > 0;
        let has_at = bytes.contains(&b'@');
        // Rural addresses ("thôn Đông, xã X, huyện Y") may have no digit at all; they always
        // name a commune or district, so two substring scans keep them without slowing the
        // common digit-free post.
        let rural = !has_digit
            && ["xã", "Xã", "XÃ", "huyện", "Huyện", "HUYỆN"]
                .iter()
                .any(|k| text.contains(k));
        if !has_digit && !has_at && !rural {
            return;
        }
        let mut cands = Vec::new();
        if has_at {
            self.find_emails(text, &mut cands);
        }
        if has_digit {
            let upper = bytes.iter().any(u8::is_ascii_uppercase);
            if digits >= 10 {
                // Mobile: 0 + 9 digits; landline: 0 + 10.
                self.find_phones(text, digits, &mut cands);
            }
            if digits >= 6 {
                // Shortest: a 6-digit account number.
                self.find_numbers(text, &mut cands);
            }
            if digits >= 6 && upper && plate_start_exists(bytes) {
                self.find_plates(text, &mut cands);
            }
            if digits >= 7 && upper {
                self.find_passports(text, &mut cands);
            }
            // Every birth label contains one of these ASCII words, so a text without any has
            // no date of birth: most dates in posts are not birth dates, and this skips them.
            if digits >= 4 && self.birth_words.is_match(text) {
                self.find_dobs(text, &mut cands);
            }
            self.find_addresses(text, &mut cands);
        } else if rural {
            self.find_addresses(text, &mut cands);
        }
        if cands.is_empty() {
            return;
        }
        // One span, one kind: best score first, then the longer span.
        cands.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
        });
        let mut kept: Vec<Candidate> = Vec::with_capacity(cands.len());
        for c in cands {
            if kept.iter().all(|k| c.end <= k.start || k.end <= c.start) {
                kept.push(c);
            }
        }
        kept.sort_by_key(|c| c.start);
        // Byte → char offsets in one forward pass: the kept spans are sorted and disjoint, so
        // a long text with many hits stays linear.
        let (mut byte, mut chars) = (0, 0);
        let mut advance = |to: usize| {
            chars += char_count(&text.as_bytes()[byte..to]);
            byte = to;
            chars
        };
        for c in kept {
            let start = advance(c.start);
            let end = advance(c.end);
            out.push(Detection {
                category: Category::PersonalData,
                start,
                end,
                score: c.score.clamp(0.0, 1.0),
                kind: Some(c.kind),
                reason: c.reason,
            });
        }
    }

    /// Labels in a context window. `before`: the nearest label is the one that ends last;
    /// otherwise (a window after the identifier) the one that starts first.
    fn labels_in(&self, window: &str, before: bool) -> LabelInfo {
        let mut info = LabelInfo::default();
        if window.trim().is_empty() {
            return info;
        }
        // NFC so decomposed input ("căn cước" typed with combining marks) still matches; most
        // text is NFC already, and the quick check avoids the work.
        let norm = if window.is_ascii() {
            window.to_ascii_lowercase()
        } else if unicode_normalization::is_nfc_quick(window.chars())
            == unicode_normalization::IsNormalized::Yes
        {
            window.to_lowercase()
        } else {
            window.nfc().collect::<String>().to_lowercase()
        };
        let mut best: Option<(usize, usize, Label)> = None;
        for m in self.labels.find_overlapping_iter(&norm) {
            let (s, e) = (m.start(), m.end());
            let bounded = !prev_char(&norm, s).is_some_and(char::is_alphanumeric)
                && !next_char(&norm, e).is_some_and(char::is_alphanumeric);
            if !bounded {
                continue;
            }
            let label = word_lists().labels[m.pattern().as_usize()].1;
            info.set |= label.bit();
            let better = match best {
                None => true,
                Some((bs, be, _)) if before => e > be || (e == be && s < bs),
                Some((bs, be, _)) => s < bs || (s == bs && e > be),
            };
            if better {
                best = Some((s, e, label));
            }
        }
        if let Some((s, e, label)) = best {
            info.nearest = Some(label);
            info.gap = if before {
                norm[e..].chars().count()
            } else {
                norm[..s].chars().count()
            };
        }
        info
    }

    fn before(&self, text: &str, start: usize) -> LabelInfo {
        self.labels_in(before_window(text, start), true)
    }

    fn after(&self, text: &str, end: usize) -> LabelInfo {
        self.labels_in(after_window(text, end), false)
    }
}
