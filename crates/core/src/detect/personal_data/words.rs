//! The word lists of the recognisers, read once from `lexicons/personal_data.toml` (embedded at
//! build time, so the core still does no file I/O). Keeping them as data lets a reviewer see and
//! change the vocabulary without reading the recognisers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::Label;

const WORDS_TOML: &str = include_str!("../../../../../lexicons/personal_data.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordFile {
    labels: BTreeMap<String, Vec<String>>,
    units: Units,
    places: Places,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Units {
    after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Places {
    provinces: Vec<String>,
}

/// The parsed lists.
pub(super) struct Words {
    /// Context words and what each says about a nearby number.
    pub labels: Vec<(String, Label)>,
    /// Words that, right after a number, make it an amount or a count.
    pub units_after: Vec<String>,
    /// Province-level names, lower-case.
    pub provinces: Vec<String>,
}

impl Label {
    /// The key of a label kind in `[labels]`.
    fn from_key(key: &str) -> Option<Label> {
        Some(match key {
            "cccd" => Label::Cccd,
            "cmnd" => Label::Cmnd,
            "phone" => Label::Phone,
            "tax" => Label::Tax,
            "bank" => Label::Bank,
            "bank_weak" => Label::BankWeak,
            "card" => Label::Card,
            "passport" => Label::Passport,
            "plate" => Label::Plate,
            "dob" => Label::Dob,
            "dob_weak" => Label::DobWeak,
            "not_dob" => Label::NotDob,
            "address" => Label::Address,
            "not_personal" => Label::NotPersonal,
            _ => return None,
        })
    }
}

/// Parses a word file; an unknown label kind or an empty word is an error, so a typo in the
/// data cannot silently drop a list.
fn parse(text: &str) -> Result<Words, String> {
    let f: WordFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut labels = Vec::new();
    for (key, list) in f.labels {
        let label = Label::from_key(&key).ok_or_else(|| format!("unknown label kind {key:?}"))?;
        for w in list {
            if w.trim().is_empty() || w != w.to_lowercase() {
                return Err(format!("label word {w:?} must be non-empty and lower-case"));
            }
            labels.push((w, label));
        }
    }
    Ok(Words {
        labels,
        units_after: f.units.after,
        provinces: f.places.provinces,
    })
}

/// The built-in lists, parsed on first use.
pub(super) fn word_lists() -> &'static Words {
    static WORDS: LazyLock<Words> = LazyLock::new(|| {
        parse(WORDS_TOML).expect("lexicons/personal_data.toml is valid (checked by tests)")
    });
    &WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_parse() {
        let w = parse(WORDS_TOML).unwrap();
        assert!(w.labels.len() > 200);
        assert!(w.units_after.iter().any(|u| u == "đồng"));
        assert!(w.provinces.iter().any(|p| p == "nghệ an"));
    }

    #[test]
    fn unknown_kinds_and_bad_words_are_errors() {
        let base = "[units]\nafter = []\n[places]\nprovinces = []\n";
        assert!(parse(&format!("[labels]\nphonee = [\"x\"]\n{base}")).is_err());
        assert!(parse(&format!("[labels]\nphone = [\"SĐT\"]\n{base}")).is_err());
        assert!(parse(&format!("[labels]\nphone = [\" \"]\n{base}")).is_err());
        assert!(parse(&format!("[labels]\nphone = [\"sđt\"]\n{base}")).is_ok());
    }
}
