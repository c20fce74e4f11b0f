//! Unit tests of the lexicon format and matching.

use super::parse::*;
use super::*;

fn sets() -> HashMap<String, Vec<String>> {
    let mut s = HashMap::new();
    s.insert("ai".into(), vec!["thằng".into(), "con".into()]);
    s
}

#[test]
fn expands_sets_and_alternatives() {
    let got = expand("{ai} {ngu|điên} {lắm|}", &sets()).unwrap();
    assert_eq!(got.len(), 8);
    assert!(got.contains(&"thằng ngu lắm".to_string()));
    assert!(got.contains(&"con điên".to_string()));
    assert_eq!(expand("óc chó", &sets()).unwrap(), vec!["óc chó"]);
}

#[test]
fn expansion_errors_are_reported() {
    assert_eq!(
        expand("{x} a", &sets()),
        Err(LexiconErrorKind::UnknownSet("x".into()))
    );
    assert_eq!(
        expand("{a|b a", &sets()),
        Err(LexiconErrorKind::UnbalancedBraces)
    );
    assert_eq!(
        expand("a} b", &sets()),
        Err(LexiconErrorKind::UnbalancedBraces)
    );
}

#[test]
fn fields_split_outside_braces() {
    let f = split_top_level("{a|b} c | 0.5 | marked", '|');
    assert_eq!(f, vec!["{a|b} c", "0.5", "marked"]);
    assert_eq!(split_top_level("{ai} ~ {a|b}", '~'), vec!["{ai}", "{a|b}"]);
}

#[test]
fn errors_name_source_and_line() {
    let e = LexiconDetector::from_sources(&["# x\n@category offensive\nngu | 2"]).unwrap_err();
    assert_eq!((e.source, e.line), (1, 3));
    assert_eq!(e.kind, LexiconErrorKind::BadScore("2".into()));
    let e = LexiconDetector::from_sources(&["ok", "@category personal_data"]).unwrap_err();
    assert_eq!(
        (e.source, e.line, e.kind),
        (1, 1, LexiconErrorKind::NoCategory)
    );
    let e = LexiconDetector::from_sources(&["@category personal_data"]).unwrap_err();
    assert!(
        e.to_string().contains("not one a lexicon can assign"),
        "{e}"
    );
    let e = LexiconDetector::from_sources(&["@category hate\nx | 0.5 | loud"]).unwrap_err();
    assert_eq!(e.kind, LexiconErrorKind::UnknownFlag("loud".into()));
    let e = LexiconDetector::from_sources(&["@false_friends\nx | 0.5"]).unwrap_err();
    assert_eq!(e.kind, LexiconErrorKind::PhraseListFields);
    let e = LexiconDetector::from_sources(&["@category hate\n!!!"]).unwrap_err();
    assert_eq!(e.kind, LexiconErrorKind::EmptyPhrase);
    let e = LexiconDetector::from_sources(&["@bogus"]).unwrap_err();
    assert_eq!(e.kind, LexiconErrorKind::UnknownDirective("bogus".into()));
}

#[test]
fn later_sources_replace_entries() {
    let d = LexiconDetector::from_sources(&[
        "@category offensive\nngu | 0.7",
        "@category offensive\nngu | 0.2",
    ])
    .unwrap();
    assert_eq!(d.entries().len(), 1);
    assert_eq!(d.entries()[0].score, 0.2);
}

fn spans(d: &LexiconDetector, text: &str) -> Vec<(String, Category, String)> {
    let mut out = Vec::new();
    d.detect(&Normalized::new(text), &mut out);
    out.sort_by_key(|x| x.start);
    out.into_iter()
        .map(|x| {
            let ev = crate::text::slice_chars(text, x.start, x.end).to_string();
            (ev, x.category, x.reason)
        })
        .collect()
}

#[test]
fn compounds_chain_adjacent_parts() {
    let d = LexiconDetector::from_sources(&[
        "@set g = dân x, người x\n@set i = ngu, lười\n@category regional_discrimination\n{g} ~ {toàn|đều|} ~ {i} | 0.9",
    ])
    .unwrap();
    // The optional middle part makes two compounds: with and without it.
    assert_eq!(d.compounds().len(), 2);
    let got = spans(&d, "nghe nói dân x toàn ngu lắm");
    assert_eq!(
        got,
        vec![(
            "dân x toàn ngu".to_string(),
            Category::RegionalDiscrimination,
            "lexicon: dân x toàn ngu".to_string()
        )]
    );
    assert_eq!(spans(&d, "dân x lười").len(), 1);
    assert!(spans(&d, "dân x không ngu").is_empty());
    assert!(spans(&d, "dân x").is_empty());
}

#[test]
fn context_words_widen_hits_and_never_stand_alone() {
    let d = LexiconDetector::from_sources(&[
        "@category offensive\nngu | 0.7\nthằng | 0.3 | context\nmày | 0.3 | context",
    ])
    .unwrap();
    let got = spans(&d, "thằng ngu kia, mày nghe không");
    let ev: Vec<_> = got.iter().map(|x| (x.0.as_str(), x.2.as_str())).collect();
    assert_eq!(
        ev,
        vec![("thằng ngu", "lexicon: ngu"), ("mày", "lexicon: mày")]
    );
    assert!(spans(&d, "thằng bé nói mày ơi").is_empty());
    // A full stop and a space do not join a context word to the hit before it.
    assert_eq!(spans(&d, "ngu. Thằng")[0].0, "ngu");
}

#[test]
fn false_friends_cover_whole_hits_only() {
    let d = LexiconDetector::from_sources(&[
        "@category offensive\nóc chó | 0.8\nđồ ăn hại | 0.8\n@false_friends\nhạt óc chó\nđồ ăn",
    ])
    .unwrap();
    assert!(spans(&d, "mua hạt óc chó").is_empty());
    assert_eq!(spans(&d, "mày là đồ ăn hại")[0].0, "đồ ăn hại");
}

#[test]
fn bare_homographs_in_accented_text_are_themselves() {
    let d = LexiconDetector::from_sources(&[
        "@category offensive\nchó má | 0.8\n@false_friends\n@homographs cho",
    ])
    .unwrap();
    assert!(spans(&d, "Mua tặng cho má một bó hoa thật đẹp").is_empty());
    assert_eq!(spans(&d, "đồ chó má").len(), 1);
    // Text typed without diacritics is ambiguous, so the hit stands.
    assert_eq!(spans(&d, "do cho ma").len(), 1);
}

#[test]
fn builtin_entries_are_not_single_letters() {
    // A one-letter key ("l", "đ") would fire on abbreviations everywhere; such words may
    // only be context entries ("ị" is a word, not an abbreviation). This also catches spellings that squeeze to one letter.
    for e in LexiconDetector::builtin().entries() {
        let (key, _) = phrase_keys(&e.phrase);
        let mut chars = key.trim().chars();
        let one_letter =
            matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii() || c == 'đ');
        assert!(
            !one_letter || e.context,
            "{:?} normalises to {key:?}",
            e.phrase
        );
    }
}

#[test]
fn builtin_lexicons_load() {
    let d = LexiconDetector::builtin();
    assert!(d.entries().len() > 500);
    assert!(d.false_friend_count() > 100);
}

#[test]
fn group_names_are_read_apart_from_the_entries() {
    let d = LexiconDetector::from_sources(&[
        "@set bon = bọn, lũ\n@category offensive\nngu | 0.8\n@groups\n{bon}\nngười bắc\n",
    ])
    .unwrap();
    let names = |t: &str| d.names_a_group(&Normalized::new(t));
    assert!(names("lũ ngu"));
    assert!(names("nguoi bac"), "plain spelling names the group too");
    assert!(!names("mày ngu"));
    // A group name is no hit of its own.
    let mut out = Vec::new();
    d.detect(&Normalized::new("người bắc"), &mut out);
    assert!(out.is_empty());
    let e = LexiconDetector::from_sources(&["@groups\nbọn ~ ngu\n"]).unwrap_err();
    assert_eq!(e.kind, LexiconErrorKind::CompoundInPhraseList);
}
