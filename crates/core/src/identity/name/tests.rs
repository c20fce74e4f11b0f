//! Unit tests of name parsing and comparison.

use super::*;

#[test]
fn word_lists_load() {
    let l: NameWordLists = toml::from_str(NAME_WORDS_TOML).unwrap();
    assert!(!l.titles.is_empty() && !l.slogans.is_empty() && !l.nicknames.is_empty());
}

fn detail(display: &str, legal: &str) -> String {
    compare_with_legal(display, legal)
        .map(|p| p.describe())
        .unwrap_or_default()
}

#[test]
fn folded_names_match() {
    assert_eq!(compare_with_legal("Nguyen Van An", "Nguyễn Văn An"), None);
    assert_eq!(compare_with_legal("NGUYỄN VĂN AN", "Nguyễn  Văn An"), None);
    assert_eq!(compare_with_legal("Lê Thị Hoà", "Lê Thị Hòa"), None);
    assert_eq!(compare_with_legal("Trần Thị Thuý", "Trần Thị Thúy"), None);
    assert_eq!(compare_with_legal("Lí Văn Quí", "Lý Văn Quý"), None);
    assert_eq!(compare_with_legal("Văn An Nguyễn", "Nguyễn Văn An"), None);
    assert_eq!(compare_with_legal("Nguyễn Văn An", "Nguyen Van An"), None);
}

#[test]
fn differences_are_named() {
    let p = detail("An Nguyễn", "Nguyễn Văn An");
    assert!(p.contains("leaves out the middle name \"Văn\""), "{p}");
    assert!(p.contains("given name first"), "{p}");
    let p = detail("An Văn Nguyễn", "Nguyễn Văn An");
    assert!(p.contains("reverse order"), "{p}");
    let p = detail("Nguyễn Văn Bình", "Nguyễn Văn An");
    assert!(
        p.contains("the given name is \"Bình\" where the legal name has \"An\""),
        "{p}"
    );
    let p = detail("Văn An", "Nguyễn Văn An");
    assert!(p.contains("leaves out the surname \"Nguyễn\""), "{p}");
    let p = detail("Huỳnh Văn An", "Hoàng Văn An");
    assert!(p.contains("regional variant"), "{p}");
    let p = detail("Nguyễn Văn Ân", "Nguyễn Văn An");
    assert!(p.contains("other diacritics"), "{p}");
    let p = detail("Nguyễn V. An", "Nguyễn Văn An");
    assert!(p.contains("abbreviates the middle name"), "{p}");
    let p = detail("Bác sĩ Nguyễn Văn An", "Nguyễn Văn An");
    assert!(p.contains("adds the title \"Bác sĩ\""), "{p}");
    assert!(matches!(
        compare_with_legal("Nguyễn Văn An (Bin)", "Nguyễn Văn An"),
        Some(NameProblem::Nickname(n)) if n == "(Bin)"
    ));
    assert!(matches!(
        compare_with_legal("an.nguyen99", "Nguyễn Văn An"),
        Some(NameProblem::Handle(_))
    ));
}

#[test]
fn display_names_alone() {
    for ok in [
        "Nguyễn Văn An",
        "Y Moan Niê",
        "H'Hen Niê",
        "Hầu A Lềnh",
        "Rơ Châm Ly",
        "Ksor H'Mai",
        "Tôn Nữ Thị Ninh",
        "Hoàng Phủ Ngọc Tường",
        "Văn An Nguyễn",
        "Ông Văn Dũng",
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
        Some(NameProblem::Nickname(_)) | Some(NameProblem::NoSurname)
    ));
    assert!(matches!(
        check_display_name("Hải Đăng"),
        Some(NameProblem::NoSurname)
    ));
    assert!(matches!(
        check_display_name("  "),
        Some(NameProblem::Missing)
    ));
}

#[test]
fn parses_parts() {
    let n = PersonalName::parse("Tôn Nữ Thị Ninh");
    assert_eq!(n.surname().len(), 2);
    assert_eq!(n.middle().len(), 1);
    assert_eq!(n.given().unwrap().text, "Ninh");
    let n = PersonalName::parse("Nguyễn Thị Minh Khai");
    assert_eq!(n.surname()[0].text, "Nguyễn");
    assert_eq!(n.middle().len(), 2);
    let n = PersonalName::parse("H'Hen Niê");
    assert!(n.particle);
}
