//! CS-1 real names: the project's test set of (legal name, display name) pairs
//! (`eval/names.jsonl`), and focused cases of the policy in `identity::name`.

use quytac_core::classifier::Confusion;
use quytac_core::engine::Engine;
use quytac_core::finding::Category;
use quytac_core::identity::name::{check_name, compare_with_legal, NameCase, NameProblem};
use quytac_core::item::Item;
use quytac_core::rules::RulePack;

fn cases() -> Vec<NameCase> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../eval/names.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)))
        .collect()
}

#[test]
fn the_name_test_set_is_checked_with_high_precision_and_recall() {
    let cases = cases();
    assert!(cases.len() >= 300, "{} pairs", cases.len());
    let mut confusion = Confusion::new(2);
    let mut errors = Vec::new();
    for c in &cases {
        let got = c.check();
        confusion.add(c.expect_finding as usize, got.is_some() as usize);
        if got.is_some() != c.expect_finding {
            errors.push(format!(
                "{:?} vs legal {:?} ({}): {}",
                c.display_name,
                c.legal_name,
                c.note,
                got.map_or("no finding".into(), |p| p.describe())
            ));
        }
    }
    let s = confusion.class(1);
    assert!(
        s.precision >= 0.95 && s.recall >= 0.95,
        "precision {:.3} recall {:.3}; errors:\n{}",
        s.precision,
        s.recall,
        errors.join("\n")
    );
}

#[test]
fn every_finding_of_the_test_set_names_something() {
    for c in cases() {
        if let Some(p) = c.check() {
            let d = p.describe();
            assert!(!d.is_empty(), "{c:?}");
            if let NameProblem::DiffersFromLegal { detail, .. } = &p {
                assert!(
                    !detail.is_empty() && detail != "the words differ",
                    "{c:?}: {d}"
                );
            }
        }
    }
}

fn describe(display: &str, legal: &str) -> String {
    compare_with_legal(display, legal)
        .map(|p| p.describe())
        .unwrap_or_else(|| "match".into())
}

#[test]
fn folding_case_tone_placement_and_diacritics_matches() {
    for (d, l) in [
        ("nguyen van an", "Nguyễn Văn An"),
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("Lê Thị Hoà", "Lê Thị Hòa"),
        ("Đỗ Thị Thuý", "Đỗ Thị Thúy"),
        ("Lê Văn Thuỵ", "Lê Văn Thụy"),
        ("Lí Văn Quí", "Lý Văn Quý"),
        ("Nguyễn Van An", "Nguyễn Văn An"),
        ("Nguyễn Văn An", "NGUYEN VAN AN"),
    ] {
        assert_eq!(describe(d, l), "match", "{d} / {l}");
    }
}

#[test]
fn the_western_order_of_the_whole_name_is_accepted_a_partial_one_is_not() {
    assert_eq!(describe("Văn An Nguyễn", "Nguyễn Văn An"), "match");
    assert_eq!(describe("Thị Ninh Tôn Nữ", "Tôn Nữ Thị Ninh"), "match");
    let d = describe("An Nguyễn", "Nguyễn Văn An");
    assert!(
        d.contains("leaves out the middle name \"Văn\"") && d.contains("given name first"),
        "{d}"
    );
    let d = describe("Văn An", "Nguyễn Văn An");
    assert!(d.contains("leaves out the surname \"Nguyễn\""), "{d}");
    let d = describe("An Văn Nguyễn", "Nguyễn Văn An");
    assert!(d.contains("reverse order"), "{d}");
}

#[test]
fn differences_are_named() {
    for (d, l, want) in [
        (
            "Nguyễn Văn Bình",
            "Nguyễn Văn An",
            "the given name is \"Bình\" where the legal name has \"An\"",
        ),
        ("Trần Văn An", "Nguyễn Văn An", "the surname is \"Trần\""),
        (
            "Nguyễn Minh An",
            "Nguyễn Văn An",
            "the middle name is \"Minh\"",
        ),
        ("Nguyễn Văn Ân", "Nguyễn Văn An", "other diacritics"),
        ("Huỳnh Văn An", "Hoàng Văn An", "regional variant"),
        ("Võ Văn Kiệt", "Vũ Văn Kiệt", "regional variant"),
        (
            "Nguyễn V. An",
            "Nguyễn Văn An",
            "abbreviates the middle name \"Văn\" as \"V.\"",
        ),
        (
            "Bác sĩ Nguyễn Văn An",
            "Nguyễn Văn An",
            "adds the title \"Bác sĩ\"",
        ),
        ("Nguyễn Văn An Hà Nội", "Nguyễn Văn An", "adds \"Hà Nội\""),
        (
            "Nguyễn Văn An Cute",
            "Nguyễn Văn An",
            "adds the nickname or slogan \"Cute\"",
        ),
        (
            "Nguyễn An",
            "Nguyễn Văn An",
            "leaves out the middle name \"Văn\"",
        ),
        (
            "Nguyễn Thu Hà",
            "Nguyễn Thị Thu Hà",
            "leaves out the middle name \"Thị\"",
        ),
        ("Moan Niê", "Y Moan Niê", "leaves out"),
    ] {
        let got = describe(d, l);
        assert!(got.contains(want), "{d} / {l}: {got}");
    }
}

#[test]
fn names_that_are_not_names_are_reported_for_what_they_are() {
    let legal = Some("Nguyễn Văn An");
    assert!(
        matches!(check_name("Nguyễn Văn An (Bin)", legal), Some(NameProblem::Nickname(n)) if n == "(Bin)")
    );
    assert!(matches!(
        check_name("Nguyễn Văn \"Tèo\" An", legal),
        Some(NameProblem::Nickname(_))
    ));
    assert!(matches!(
        check_name("an.nguyen99", legal),
        Some(NameProblem::Handle(_))
    ));
    assert!(matches!(
        check_name("@annguyen", legal),
        Some(NameProblem::Handle(_))
    ));
    let p = check_name("Nguyễn Văn An 🌸", legal).unwrap().describe();
    assert!(p.contains("emoji"), "{p}");
    let p = check_name("Nguyễn Văn An 1990", legal).unwrap().describe();
    assert!(p.contains("digits (\"1990\")"), "{p}");
    let p = check_name("𝓝𝓰𝓾𝔂𝓮𝓷 𝓥𝓪𝓷 𝓐𝓷", legal).unwrap().describe();
    assert!(p.contains("decorative font"), "{p}");
    assert_eq!(check_name("", legal), Some(NameProblem::Missing));
    // Without a legal name: the shape alone.
    for ok in [
        "Nguyễn Văn An",
        "Y Moan Niê",
        "H'Hen Niê",
        "Hầu A Lềnh",
        "Rơ Châm Ly",
        "Ksor H'Mai",
        "Âu Dương Lân",
        "Văn An Nguyễn",
    ] {
        assert_eq!(check_name(ok, None), None, "{ok}");
    }
    for (bad, what) in [
        ("Thầy giáo làng", "title"),
        ("Cô giáo Thảo xinh đẹp", "title"),
        ("Mèo Mun", "nickname"),
        ("Hải Đăng", "surname"),
        ("An", "surname"),
        ("Nguyễn Văn An Official", "nickname"),
    ] {
        let p = check_name(bad, None)
            .map(|p| p.describe())
            .unwrap_or_default();
        assert!(p.contains(what), "{bad}: {p}");
    }
}

#[test]
fn the_engine_reports_real_name_findings_with_the_difference() {
    let engine = Engine::new(RulePack::builtin("vn-2018-draft").unwrap());
    let check = |display: &str, legal: &str| {
        let item = Item::from_json(
            &serde_json::json!({"id": "u1", "type": "profile", "role": "civil_servant",
                "display_name": display, "legal_name": legal,
                "workplace": "Sở Tư pháp Hà Nội", "vouched_by": "stp-hn", "photo": "u1.jpg"})
            .to_string(),
        )
        .unwrap();
        engine
            .check(&item)
            .findings
            .into_iter()
            .filter(|f| f.category == Category::RealName)
            .collect::<Vec<_>>()
    };
    assert!(check("Nguyen Van An", "Nguyễn Văn An").is_empty());
    let f = check("An Nguyễn", "Nguyễn Văn An");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, "CS-1");
    assert_eq!((f[0].start, f[0].end), (None, None));
    assert!(
        f[0].message_en.contains("leaves out the middle name"),
        "{}",
        f[0].message_en
    );
}

proptest::proptest! {
    #[test]
    fn name_checks_never_panic(display in "\\PC{0,40}", legal in "\\PC{0,30}") {
        let _ = check_name(&display, Some(&legal));
        let _ = check_name(&display, None);
        if let Some(p) = compare_with_legal(&display, &legal) {
            proptest::prop_assert!(!p.describe().is_empty());
        }
    }

    #[test]
    fn names_from_name_parts_never_panic(
        parts in proptest::collection::vec("(Nguyễn|Văn|An|Y|H'|A|Tôn|Nữ|Thị|V\\.|\\(Bin\\)|Cô|giáo|Ksor|Hoà|hòa|đ|Ð|[a-z]{1,3}|\\.|-|'|🌸|1)", 0..7),
        legal in proptest::collection::vec("(Nguyễn|Văn|An|Tôn|Nữ|Thị|Hòa|Y|Moan|Niê)", 0..5),
    ) {
        let _ = check_name(&parts.join(" "), Some(&legal.join(" ")));
        let _ = check_name(&parts.join(""), None);
    }
}
