//! Vietnamese personal names (CS-1): is a display name a plausible real name, and does it match
//! the person's legal name once case, tone-mark placement and diacritics are folded?

use crate::text::vietnamese;
use std::sync::OnceLock;

const SURNAMES: &str = include_str!("../../../../lexicons/surnames.txt");

/// What is wrong with a display name, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Missing,
    /// Digits, emoji or symbols that names do not contain.
    NotALetterName(String),
    /// No recognised Vietnamese surname and not shaped like a full name.
    NoSurname,
    /// A title or role word instead of a name ("Thầy giáo làng", "Cán bộ xã").
    TitleOnly(String),
    /// Differs from the legal name: the message names the difference.
    DiffersFromLegal {
        display: String,
        legal: String,
        detail: String,
    },
}

impl NameProblem {
    pub fn describe(&self) -> String {
        match self {
            NameProblem::Missing => "no display name".into(),
            NameProblem::NotALetterName(c) => {
                format!("the display name contains \"{c}\", which names do not")
            }
            NameProblem::NoSurname => {
                "the display name does not start with a Vietnamese surname".into()
            }
            NameProblem::TitleOnly(t) => format!("\"{t}\" is a title or role, not a name"),
            NameProblem::DiffersFromLegal {
                display,
                legal,
                detail,
            } => {
                format!("display name \"{display}\" differs from legal name \"{legal}\": {detail}")
            }
        }
    }
}

/// Folds a name for comparison: lowercase, diacritics removed, single spaces.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.nfc_lower() {
            out.push(vietnamese::strip(c));
        }
    }
    out
}

trait NfcLower {
    fn nfc_lower(&self) -> Vec<char>;
}

impl NfcLower for str {
    fn nfc_lower(&self) -> Vec<char> {
        use unicode_normalization::UnicodeNormalization;
        self.nfc().flat_map(char::to_lowercase).collect()
    }
}

fn surnames() -> &'static Vec<Vec<String>> {
    static S: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v: Vec<Vec<String>> = SURNAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| fold_name(l).split(' ').map(String::from).collect())
            .collect();
        // Longest first, so compound surnames win over their first syllable.
        v.sort_by_key(|s| std::cmp::Reverse(s.len()));
        v
    })
}

/// Words that are titles, roles or kinship terms, not names.
const TITLE_WORDS: &[&str] = &[
    "thay",
    "co",
    "giao",
    "thay giao",
    "co giao",
    "can bo",
    "chu",
    "bac",
    "anh",
    "chi",
    "em",
    "ong",
    "ba",
    "sep",
    "giam doc",
    "truong phong",
    "chu tich",
    "bi thu",
    "bac si",
    "ky su",
    "luat su",
    "admin",
    "official",
    "page",
    "shop",
    "team",
    "lang",
    "xa",
    "phuong",
    "quan",
    "huyen",
];

/// Checks a display name on its own: letters only, a surname, not a title.
pub fn check_display_name(display: &str) -> Option<NameProblem> {
    let display = display.trim();
    if display.is_empty() {
        return Some(NameProblem::Missing);
    }
    if let Some(bad) = display.chars().find(|c| {
        !(c.is_alphabetic() || c.is_whitespace() || matches!(c, '\'' | '’' | '-' | '.'))
            || c.is_ascii_digit()
    }) {
        return Some(NameProblem::NotALetterName(bad.to_string()));
    }
    let folded = fold_name(display);
    let words: Vec<&str> = folded.split(' ').collect();
    if words.iter().all(|w| TITLE_WORDS.contains(w))
        || TITLE_WORDS.contains(&words[0]) && !has_surname(&words)
    {
        return Some(NameProblem::TitleOnly(display.to_string()));
    }
    if words.len() < 2 || !has_surname(&words) {
        return Some(NameProblem::NoSurname);
    }
    None
}

fn has_surname(words: &[&str]) -> bool {
    surnames()
        .iter()
        .any(|s| s.len() <= words.len() && s.iter().zip(words).all(|(a, b)| a == b))
}

/// Compares a display name with the legal name (CS-1). Equal after folding case, tone-mark
/// placement and diacritics is a match; otherwise the problem names the difference.
pub fn compare_with_legal(display: &str, legal: &str) -> Option<NameProblem> {
    let (d, l) = (fold_name(display), fold_name(legal));
    if d.is_empty() {
        return Some(NameProblem::Missing);
    }
    if d == l {
        return None;
    }
    let dw: Vec<&str> = d.split(' ').collect();
    let lw: Vec<&str> = l.split(' ').collect();
    let mut sd = dw.clone();
    let mut sl = lw.clone();
    sd.sort_unstable();
    sl.sort_unstable();
    let detail = if sd == sl {
        "the same words in another order (the given-name order must be kept)".to_string()
    } else {
        let missing: Vec<&str> = lw.iter().filter(|w| !dw.contains(w)).copied().collect();
        let extra: Vec<&str> = dw.iter().filter(|w| !lw.contains(w)).copied().collect();
        match (missing.is_empty(), extra.is_empty()) {
            (false, true) => format!("leaves out \"{}\"", missing.join(" ")),
            (true, false) => format!("adds \"{}\"", extra.join(" ")),
            _ => format!(
                "has \"{}\" where the legal name has \"{}\"",
                extra.join(" "),
                missing.join(" ")
            ),
        }
    };
    Some(NameProblem::DiffersFromLegal {
        display: display.trim().to_string(),
        legal: legal.trim().to_string(),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_names_match() {
        assert_eq!(compare_with_legal("Nguyen Van An", "Nguyễn Văn An"), None);
        assert_eq!(compare_with_legal("NGUYỄN VĂN AN", "Nguyễn  Văn An"), None);
        assert_eq!(compare_with_legal("Lê Thị Hoà", "Lê Thị Hòa"), None);
    }

    #[test]
    fn differences_are_named() {
        let p = compare_with_legal("An Nguyễn", "Nguyễn Văn An")
            .unwrap()
            .describe();
        assert!(p.contains("leaves out \"van\""), "{p}");
        let p = compare_with_legal("Văn An Nguyễn", "Nguyễn Văn An")
            .unwrap()
            .describe();
        assert!(p.contains("another order"), "{p}");
        let p = compare_with_legal("Nguyễn Văn Bình", "Nguyễn Văn An")
            .unwrap()
            .describe();
        assert!(
            p.contains("\"binh\" where the legal name has \"an\""),
            "{p}"
        );
    }

    #[test]
    fn display_names_alone() {
        for ok in [
            "Nguyễn Văn An",
            "Y Moan Niê",
            "Hầu A Lềnh",
            "Rơ Châm Ly",
            "Tôn Nữ Thị Ninh",
            "Hoàng Phủ Ngọc Tường",
        ] {
            assert_eq!(check_display_name(ok), None, "{ok}");
        }
        assert!(matches!(
            check_display_name("Bé Heo 2k3"),
            Some(NameProblem::NotALetterName(_))
        ));
        assert!(matches!(
            check_display_name("Hoa 🌸"),
            Some(NameProblem::NotALetterName(_))
        ));
        assert!(matches!(
            check_display_name("Thầy giáo làng"),
            Some(NameProblem::TitleOnly(_))
        ));
        assert!(matches!(
            check_display_name("Mèo Mun"),
            Some(NameProblem::NoSurname)
        ));
        assert!(matches!(
            check_display_name("  "),
            Some(NameProblem::Missing)
        ));
    }
}
