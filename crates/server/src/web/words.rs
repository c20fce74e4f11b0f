//! The one translation table of the web pages (`words/*.toml`, one file per part of the site
//! so that each part's words are found beside each other): every code a page shows (a
//! status, a verdict, a role, a category) and every fixed phrase, in Vietnamese and English. A page asks its [`Frame`](super::frame::Frame) for the words in
//! the reader's language; a key missing from the table is shown as itself, which the test
//! that walks every page reports as a raw code.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

/// The table's files; a `group.code` key is defined once across all of them.
const FILES: [(&str, &str); 6] = [
    ("frame", include_str!("words/frame.toml")),
    ("console", include_str!("words/console.toml")),
    ("sign_in", include_str!("words/sign_in.toml")),
    ("citizens", include_str!("words/citizens.toml")),
    ("reports", include_str!("words/reports.toml")),
    ("pages", include_str!("words/pages.toml")),
];

/// The language a page is written in: Vietnamese first, English second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The reader's language from an `Accept-Language` header: the first of `vi` and `en`
    /// in the order of preference (q-values honoured); Vietnamese when neither is named.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut fields = part.split(';');
            let tag = fields.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            let q = fields
                .filter_map(|f| f.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map_or(Lang::Vi, |(_, _, lang)| lang)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(serde::Deserialize)]
struct Entry {
    vi: String,
    en: String,
}

type Groups = HashMap<String, HashMap<String, Entry>>;

/// One file's `group.code` keys and entries.
fn parse(text: &str) -> Result<Vec<(String, Entry)>, toml::de::Error> {
    let groups: Groups = toml::from_str(text)?;
    Ok(groups
        .into_iter()
        .flat_map(|(group, entries)| {
            entries
                .into_iter()
                .map(move |(code, entry)| (format!("{group}.{code}"), entry))
        })
        .collect())
}

/// `group.code` → the entry, from every file of the table (checked by the unit tests).
static WORDS: LazyLock<HashMap<String, Entry>> = LazyLock::new(|| {
    FILES
        .iter()
        .flat_map(|(_, text)| parse(text).unwrap_or_default())
        .collect()
});

/// Whether the table has this `group.code` key.
pub fn known(key: &str) -> bool {
    WORDS.contains_key(key)
}

/// The words for `key` (`group.code`) in `lang`; the key itself when the table lacks it.
pub fn say(lang: Lang, key: &str) -> String {
    match WORDS.get(key) {
        Some(e) if lang == Lang::En => e.en.clone(),
        Some(e) => e.vi.clone(),
        None => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_defines_each_key_once() {
        let mut seen = HashMap::new();
        for (name, text) in FILES {
            let entries = parse(text).unwrap_or_else(|e| panic!("words/{name}.toml: {e}"));
            for (key, _) in entries {
                if let Some(other) = seen.insert(key.clone(), name) {
                    panic!("{key} is in words/{other}.toml and words/{name}.toml");
                }
            }
        }
    }

    #[test]
    fn every_entry_has_both_languages() {
        assert!(!WORDS.is_empty());
        for (key, e) in WORDS.iter() {
            assert!(!e.vi.trim().is_empty(), "{key}: no Vietnamese");
            assert!(!e.en.trim().is_empty(), "{key}: no English");
        }
    }

    /// The string literals that follow `marker` (`say("` or `.code("`) in `text`.
    fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter_map(|(i, _)| {
                let rest = &text[i + marker.len()..];
                rest.find('"').map(|end| &rest[..end])
            })
            .collect()
    }

    /// Every template and every web module: each `say("group.code")` literal is a key of
    /// the table, and each `code("group", …)` names a group the table has.
    #[test]
    fn every_key_a_page_asks_for_is_in_the_table() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates", "src/web"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                        files.push(path);
                    }
                }
            }
        }
        assert!(files.len() > 10, "templates and modules found: {files:?}");
        let groups: std::collections::HashSet<&str> = WORDS
            .keys()
            .filter_map(|k| k.split_once('.').map(|(g, _)| g))
            .collect();
        let mut missing = Vec::new();
        let mut asked = 0;
        // This file's tests name the markers themselves.
        for path in files.iter().filter(|p| !p.ends_with("web/words.rs")) {
            let text = std::fs::read_to_string(path).unwrap();
            for key in literals_after(&text, "say(\"") {
                // `say("…")` with a key built at run time (`format!`) is not a literal.
                if key.contains('{') || !key.contains('.') {
                    continue;
                }
                asked += 1;
                if !known(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
            for group in literals_after(&text, ".code(\"") {
                asked += 1;
                if !groups.contains(group) {
                    missing.push(format!("{}: group {group}", path.display()));
                }
            }
        }
        assert!(
            asked > 50,
            "only {asked} keys found: is the scan reading the templates?"
        );
        assert!(
            missing.is_empty(),
            "not in the table:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn reads_the_preferred_language() {
        assert_eq!(Lang::from_accept_language(""), Lang::Vi);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("vi-VN,vi;q=0.9,en;q=0.8"),
            Lang::Vi
        );
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, vi;q=0.7"),
            Lang::Vi
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::Vi);
        assert_eq!(Lang::from_accept_language("en;q=0, vi;q=0.1"), Lang::Vi);
    }

    #[test]
    fn says_a_code_in_each_language_and_an_unknown_key_as_itself() {
        assert_eq!(say(Lang::Vi, "case_status.open"), "Đang chờ xử lý");
        assert_eq!(say(Lang::En, "case_status.open"), "Open");
        assert_eq!(say(Lang::Vi, "nope.nothing"), "nope.nothing");
    }
}
