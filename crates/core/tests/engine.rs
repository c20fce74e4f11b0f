//! The engine, end to end on items: data-driven cases of what a post or profile should (and
//! should not) be flagged for, and a property test of the check entry point.

use proptest::prelude::*;
use quytac_core::engine::{CheckResult, EngagementLog, Engine};
use quytac_core::finding::{Category, Label, Verdict};
use quytac_core::item::Item;
use quytac_core::rules::{RulePack, DEFAULT_PACK};
use quytac_core::text::slice_chars;
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(RulePack::builtin(DEFAULT_PACK).unwrap()))
}

fn post(role: &str, text: &str) -> CheckResult {
    let json =
        serde_json::json!({"id": "t", "type": "post", "text": text, "author": {"role": role}});
    engine().check(&Item::from_json(&json.to_string()).unwrap())
}

/// `expect`: "rule/category" pairs that must all be found, in any order, and nothing else
/// above `info`.
fn check(role: &str, text: &str, expect: &[&str], verdict: Verdict) {
    let r = post(role, text);
    let mut got: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{}/{}", f.rule, f.category))
        .collect();
    got.sort();
    got.dedup();
    let mut want: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "findings for {text:?}");
    assert_eq!(r.verdict, verdict, "verdict for {text:?}");
    for f in &r.findings {
        if let (Some(s), Some(e)) = (f.start, f.end) {
            assert_eq!(
                slice_chars(text, s, e),
                f.evidence,
                "evidence is the span of the original text"
            );
        }
    }
}

#[test]
fn civil_servant_posts() {
    use Verdict::*;
    check(
        "civil_servant",
        "Bọn bắc kỳ toàn lũ lừa đảo",
        &["CS-5/regional_discrimination"],
        Violation,
    );
    check(
        "civil_servant",
        "Nghị định mới về học phí thật bất hợp lý",
        &["CS-4/missing_disclaimer"],
        Review,
    );
    check(
        "civil_servant",
        "Nghị định mới về học phí bất hợp lý (ý kiến cá nhân, không đại diện cho cơ quan)",
        &[],
        Pass,
    );
    check(
        "civil_servant",
        "Tôi là trưởng phòng, liệu hồn đấy",
        &["CS-7/abuse_of_office"],
        Review,
    );
    check(
        "civil_servant",
        "Nghe nói giá xăng sắp tăng",
        &["CS-6/unverified_claim"],
        Review,
    );
    check(
        "civil_servant",
        "TUYỆT MẬT\nSố: 45/CV-BCA",
        &["CS-10/confidential"],
        Violation,
    );
    check(
        "civil_servant",
        "Số điện thoại của chị ấy là 0912 345 678",
        &["CS-10/personal_data"],
        Review,
    );
    check(
        "civil_servant",
        "Mời cả nhà ăn bánh mật ong, chém gió cho vui",
        &[],
        Pass,
    );
}

/// Issue 13: what the detectors add to the classifier, each with the hard negatives that must
/// stay clean.
#[test]
fn detectors_for_what_the_classifier_cannot_see() {
    use Verdict::*;
    let cs = "civil_servant";
    // CS-4: a call not to comply, or a verdict on a policy, without a disclaimer.
    check(
        cs,
        "Mọi người đừng chấp hành quyết định này của UBND huyện",
        &["CS-4/missing_disclaimer"],
        Review,
    );
    check(
        cs,
        "Quy định mới của Bộ Y tế thật vô lý",
        &["CS-4/missing_disclaimer"],
        Review,
    );
    check(
        cs,
        "Quyết định của UBND tỉnh thật vô lý (ý kiến cá nhân)",
        &[],
        Pass,
    );
    check(cs, "Anh ấy nói thật vô lý", &[], Pass);
    check(cs, "Người không chấp hành quy định sẽ bị phạt", &[], Pass);
    check(cs, "Cửa hàng hôm nay không đóng cửa", &[], Pass);
    check(
        "citizen",
        "Mọi người đừng chấp hành quyết định này của UBND huyện",
        &[],
        Pass,
    );
    // Generalisations pinned on a province, and stereotypes about women's roles.
    check(
        "citizen",
        "Nghệ An thì toàn bọn trộm cắp",
        &["US-1/regional_discrimination"],
        Violation,
    );
    check("citizen", "Tỉnh Nghệ An có nhiều đặc sản", &[], Pass);
    check(
        "citizen",
        "con gái học lắm làm gì, cuối cùng cũng chỉ ở nhà lo chồng con",
        &["US-1/gender_discrimination"],
        Violation,
    );
    check("citizen", "Con gái tôi học giỏi lắm", &[], Pass);
    // A slur written with an HTML character reference; evidence is the original text.
    check(
        "citizen",
        "bọn b&#7855;c kỳ",
        &["US-1/regional_discrimination"],
        Violation,
    );
    // Literal senses and plain names are not abuse, whatever the classifier makes of them.
    check("citizen", "Con chó nhà tôi rất khôn", &[], Pass);
    check(
        "citizen",
        "Đảng Cộng sản Việt Nam lãnh đạo cách mạng",
        &[],
        Pass,
    );
    check("citizen", "lũ cộng sản", &["US-1/hate"], Violation);
    // Personal data written in pairs.
    check(
        cs,
        "Gọi em 09.12.34.56.78 nhé",
        &["CS-10/personal_data"],
        Review,
    );
    check(cs, "Áo giá 120.000đ, ngày 12.03.2024, bản 1.2.3", &[], Pass);
}

/// The posts of a project-curated set, one a line, without comments and blank lines.
fn curated_posts(set: &str) -> Vec<&str> {
    set.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Issue 13: the state, the Party, officials, regions, peoples, faiths and genders named
/// plainly are not abuse. The model learnt from comments that attack some of them, and read
/// "Nhà nước ta là nhà nước của nhân dân" as hate until the lexicon said what these words
/// mean.
#[test]
fn plain_civic_posts_are_not_flagged() {
    let posts = curated_posts(include_str!("../../../eval/civic_hard_negatives.txt"));
    assert!(posts.len() >= 100, "{} posts", posts.len());
    let mut flagged = Vec::new();
    for text in &posts {
        let r = post("citizen", text);
        if r.label != Some(Label::Clean) || !r.findings.is_empty() {
            flagged.push(format!("citizen: {text} → {:?} {:?}", r.label, r.findings));
        }
        for role in ["civil_servant", "agency"] {
            let r = post(role, text);
            let other: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.category != Category::MissingDisclaimer)
                .collect();
            if r.label != Some(Label::Clean) || !other.is_empty() {
                flagged.push(format!("{role}: {text} → {:?} {other:?}", r.label));
            }
        }
    }
    assert!(flagged.is_empty(), "false alarms:\n{}", flagged.join("\n"));
}

/// The classifier's evidence is looked for in the text as it read it: a word the lexicon takes
/// in its plain sense ("Nhà nước") is never the stretch that drove a finding.
#[test]
fn evidence_is_never_a_word_read_in_its_plain_sense() {
    let r = post("citizen", "Nhà nước gì mà toàn lũ ăn cướp");
    assert_eq!(r.label, Some(Label::Hate));
    assert!(!r.findings.is_empty());
    for f in &r.findings {
        assert!(
            !f.evidence.to_lowercase().starts_with("nhà nước"),
            "evidence {:?}",
            f.evidence
        );
    }
}

/// CS-7 is pressure from an office: everyday words of pressure need the office claim beside
/// them, words of pressure in anyone's mouth do not.
#[test]
fn everyday_words_of_pressure_need_an_office() {
    use Verdict::*;
    let cs = "civil_servant";
    check(
        cs,
        "Coi chừng trời mưa trơn trượt, đi đường cẩn thận",
        &[],
        Pass,
    );
    check(cs, "Tôi có quyền giữ im lặng", &[], Pass);
    check(
        cs,
        "Tôi là công an, coi chừng đấy",
        &["CS-7/abuse_of_office"],
        Review,
    );
    check(
        cs,
        "Muốn nhanh thì nhớ chuẩn bị phong bì",
        &["CS-7/abuse_of_office"],
        Review,
    );
}

/// CS-6 is about spreading rumours: one named to be refuted is not endorsed, but a refutation
/// in another clause or sentence, or after a hearsay verb, does not cancel the claim.
#[test]
fn a_rumour_named_to_refute_it_is_not_endorsed() {
    use Verdict::*;
    let cs = "civil_servant";
    check(cs, "Bộ Y tế đã bác bỏ tin đồn về vắc xin", &[], Pass);
    check(
        cs,
        "Tin đồn giá vàng sắp giảm là không chính xác",
        &[],
        Pass,
    );
    for claim in [
        "Nghe nói số liệu của bộ không chính xác",
        "Đừng tin, nhưng nghe nói sếp sắp nghỉ hưu",
        "Tin đồn ông X sắp bị bắt. Tôi thấy là sai.",
        "Có tin đồn ông X sắp nghỉ hưu",
    ] {
        check(cs, claim, &["CS-6/unverified_claim"], Review);
    }
}

/// The same words do not shield the abuse around them.
#[test]
fn civic_words_do_not_shield_abuse() {
    let posts = curated_posts(include_str!("../../../eval/civic_abuse.txt"));
    assert!(posts.len() >= 15, "{} posts", posts.len());
    for text in posts {
        let r = post("citizen", text);
        assert!(
            matches!(r.label, Some(Label::Offensive | Label::Hate)) && !r.findings.is_empty(),
            "missed: {text} → {:?}",
            r.label
        );
    }
}

#[test]
fn citizen_posts_follow_the_citizen_rules() {
    use Verdict::*;
    check(
        "citizen",
        "Bọn bắc kỳ toàn lũ lừa đảo",
        &["US-1/regional_discrimination"],
        Violation,
    );
    check(
        "citizen",
        "Nghị định mới về học phí thật bất hợp lý",
        &[],
        Pass,
    );
    check("citizen", "Tôi là trưởng phòng, liệu hồn đấy", &[], Pass);
    check("citizen", "Hôm nay trời đẹp quá", &[], Pass);
}

#[test]
fn labels_follow_the_categories() {
    assert_eq!(
        post("citizen", "Hôm nay trời đẹp quá").label,
        Some(Label::Clean)
    );
    // An insult at a person is offensive or hate (ViHSD counts insults at a target as hate);
    // the classifier decides which, the lexicon guarantees it is not clean.
    assert!(matches!(
        post("citizen", "đm thằng ngu").label,
        Some(Label::Offensive | Label::Hate)
    ));
    assert_eq!(post("citizen", "vãi cả lồn").label, Some(Label::Offensive));
    assert_eq!(
        post("citizen", "Bọn bắc kỳ toàn lũ lừa đảo").label,
        Some(Label::Hate)
    );
}

/// Hate, as the rules use the word, attacks a group or an identity. The ViHSD label may still
/// say hate for abuse of one person (ViHSD counts it so); the finding that accuses the author
/// does not.
#[test]
fn a_hate_finding_needs_a_group_or_an_identity() {
    for text in ["ngu như bò", "thằng cha đó", "mày ngu như bò"] {
        let r = post("citizen", text);
        assert!(
            r.findings.iter().all(|f| !f.category.is_hateful()),
            "{text:?}: {:?}",
            r.findings
        );
        assert!(
            r.findings
                .iter()
                .any(|f| f.category == quytac_core::finding::Category::Offensive),
            "{text:?} is still offence: {:?}",
            r.findings
        );
        assert_eq!(r.verdict, Verdict::Review, "{text:?}");
    }
    check(
        "citizen",
        "Bọn bắc kỳ toàn lũ lừa đảo",
        &["US-1/regional_discrimination"],
        Verdict::Violation,
    );
}

/// The classifier reports the stretches of abusive words the span model marks (at most ten),
/// beside the detectors' findings and never on top of one that already says as much (hate for
/// hate, any abusive language for offence); only the first says it is the most likely.
#[test]
fn the_classifier_reports_its_stretches_beside_the_detectors() {
    let is_model = |f: &quytac_core::finding::Finding| f.message_en.contains("estimate");
    let r = post(
        "citizen",
        "mày là cái thứ gì mà dám lên tiếng, im đi đồ vô học",
    );
    let model: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| is_model(f))
        .map(|f| f.evidence.as_str())
        .collect();
    let detected: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| !is_model(f))
        .map(|f| f.evidence.as_str())
        .collect();
    assert_eq!(detected, ["vô học"], "{:?}", r.findings);
    // The span model marks the words: "mày" said to someone, not the question around it, and
    // "đồ", which opens the insult the lexicon reports ("đồ vô học"), with its low probability.
    assert_eq!(model, ["mày", "đồ"], "{:?}", r.findings);
    // Both languages say which model marked it, and with what probability.
    let f = r.findings.iter().find(|f| is_model(f)).unwrap();
    assert!(
        f.message_en.contains("(span model: probability 0."),
        "{f:?}"
    );
    assert!(
        f.message_vi
            .contains("(mô hình đánh dấu từ ngữ: xác suất 0."),
        "{f:?}"
    );
    // A detector's offence does not hide the model's hate over the same words.
    let r = post(
        "citizen",
        "bọn này toàn lũ ăn hại, nói chuyện như cứt, cút hết đi",
    );
    assert!(
        r.findings
            .iter()
            .any(|f| is_model(f) && f.category == quytac_core::finding::Category::Hate),
        "{:?}",
        r.findings
    );
    for text in [
        "mày là cái thứ gì mà dám lên tiếng, im đi đồ vô học",
        "thằng này óc chó thật sự, loại rác rưởi",
        "Đồ ngu, mày câm mồm lại đi thằng mất dạy",
        "bọn này toàn lũ ăn hại, nói chuyện như cứt, cút hết đi",
    ] {
        let r = post("citizen", text);
        let (model, detected): (Vec<_>, Vec<_>) = r.findings.iter().partition(|f| is_model(f));
        assert!(model.len() <= 3, "{text:?}: {:?}", r.findings);
        assert!(
            model
                .iter()
                .filter(|f| f.message_en.contains("most"))
                .count()
                <= 1
        );
        for m in &model {
            let (ms, me) = (m.start.unwrap(), m.end.unwrap());
            let says_as_much = |d: &&&quytac_core::finding::Finding| match m.category {
                quytac_core::finding::Category::Hate => d.category.is_hateful(),
                _ => d.category.is_abusive_language(),
            };
            assert!(
                detected
                    .iter()
                    .filter(says_as_much)
                    .all(|d| d.end.unwrap() <= ms || me <= d.start.unwrap()),
                "{text:?}: {m:?} overlaps a detector's finding"
            );
        }
    }
}

#[test]
fn profiles_get_name_photo_and_workplace_checks() {
    let e = engine();
    let p = |json: &str| e.check(&Item::from_json(json).unwrap());
    let ok = p(
        r#"{"id":"u1","type":"profile","role":"civil_servant","display_name":"Nguyen Van An","legal_name":"Nguyễn Văn An","photo":"a.jpg","workplace":"Sở Thông tin và Truyền thông Hà Nội","vouched_by":"so-tt-hn"}"#,
    );
    assert_eq!(ok.verdict, Verdict::Pass, "{ok:?}");
    let bad = p(
        r#"{"id":"u2","type":"profile","role":"civil_servant","display_name":"Bé Heo 2k3","legal_name":"Trần Thị Hoa","workplace":"Sở Y tế"}"#,
    );
    let rules: Vec<&str> = bad.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, vec!["CS-1", "CS-2", "CS-3"]);
    assert!(
        bad.findings[0].message_en.contains("digits (\"2k3\")"),
        "{}",
        bad.findings[0].message_en
    );
    assert!(bad
        .findings
        .iter()
        .all(|f| f.start.is_none() && f.end.is_none()));
    // Citizens are not held to the civil servants' identity rules in the 2018 pack.
    let citizen = p(r#"{"id":"u3","type":"profile","role":"citizen","display_name":"Bé Heo 2k3"}"#);
    assert_eq!(citizen.verdict, Verdict::Pass);
}

#[test]
fn endorsing_harmful_content_is_cs8() {
    let e = engine();
    let items = [
        r#"{"id":"a","text":"NÓNG: nghe nói ngân hàng sắp phá sản, rút tiền ngay"}"#,
        r#"{"id":"b","text":"","author":{"role":"civil_servant"},"engages":{"kind":"like","target_id":"a"}}"#,
        r#"{"id":"c","text":"Tin giả đấy, đừng share","author":{"role":"civil_servant"},"engages":{"kind":"comment","target_id":"a"}}"#,
        r#"{"id":"d","text":"","author":{"role":"citizen"},"engages":{"kind":"share","target_id":"a"}}"#,
        r#"{"id":"e","text":"","author":{"role":"civil_servant"},"engages":{"kind":"share","target_id":"zzz"}}"#,
    ];
    let mut log = EngagementLog::default();
    let verdicts: Vec<Verdict> = items
        .iter()
        .map(|j| {
            let item = Item::from_json(j).unwrap();
            let mut r = e.check(&item);
            log.resolve(e, &item, &mut r);
            r.verdict
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            Verdict::Review,
            Verdict::Violation,
            Verdict::Pass,
            Verdict::Pass,
            Verdict::Pass
        ]
    );
}

#[test]
fn the_other_packs_apply_their_own_rules() {
    let e = Engine::new(RulePack::builtin("vn-874-2021").unwrap());
    let r = e.check(
        &Item::from_json(
            r#"{"id":"u","type":"profile","role":"civil_servant","display_name":"Mèo Mun"}"#,
        )
        .unwrap(),
    );
    assert!(r.findings.iter().any(|f| f.rule == "CS-1"));
    assert_eq!(
        r.verdict,
        Verdict::Pass,
        "CS-1 is advice (info) under Decision 874"
    );
    let e = Engine::new(RulePack::builtin("vn-147-2024").unwrap());
    let r = e.check(&Item::from_json(r#"{"id":"p","text":"Bọn bắc kỳ toàn lũ lừa đảo"}"#).unwrap());
    assert_eq!(r.findings[0].rule, "ND-3");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The check entry point never panics, and every span it reports is inside the text and
    /// quotes it exactly.
    #[test]
    fn check_never_panics_and_spans_are_exact(text in any::<String>(), role in prop::sample::select(vec!["citizen", "civil_servant", "agency"])) {
        let r = post(role, &text);
        let n = text.chars().count();
        for f in &r.findings {
            if let (Some(s), Some(e)) = (f.start, f.end) {
                prop_assert!(s < e && e <= n);
                prop_assert_eq!(slice_chars(&text, s, e), f.evidence.as_str());
            }
        }
    }

    #[test]
    fn check_never_panics_on_vietnamese_like_text(words in prop::collection::vec(prop::sample::select(vec![
        "đm", "thằng", "ngu", "bắc", "kỳ", "MẬT", "Số:", "12/QĐ-UBND", "0912", "345", "678", "001090012345",
        "nghe", "nói", "Nghị", "định", "tôi", "là", "trưởng", "phòng", "liệu", "hồn", "@", "https://x.com/a",
        "n.g.u", "đ.ị.t", "😡", "\n", "9704", "1.250.000", "đồng", "sinh", "ngày", "12/03/1990",
        "b&#7855;c", "&agrave;", "&amp;", "&#", "con", "chó", "nhà", "Đảng", "Cộng", "sản", "Việt", "Nam",
        "09.12.34.56.78", "0", "9", "đừng", "chấp", "hành", "vô", "lý", "Nghệ", "An", "toàn", "bọn",
    ]), 0..40)) {
        let text = words.join(" ");
        let r = post("civil_servant", &text);
        for f in &r.findings {
            if let (Some(s), Some(e)) = (f.start, f.end) {
                prop_assert_eq!(slice_chars(&text, s, e), f.evidence.as_str());
            }
        }
    }
}

#[test]
fn the_pack_sets_the_classifier_thresholds() {
    let strict = RulePack::builtin(DEFAULT_PACK).unwrap();
    // The pack's own values, whatever the shipped model's thresholds are today.
    let shipped = strict.classifier.unwrap();
    let src = include_str!("../../../rules/vn-2018-draft.toml").replace(
        &format!("offensive = {}\nhate = {}", shipped.offensive, shipped.hate),
        "offensive = 1.0\nhate = 1.0",
    );
    let lenient = RulePack::from_toml(&src).unwrap();
    assert_eq!(lenient.classifier.unwrap().hate, 1.0);
    let text = r#"{"id":"t","text":"đm thằng ngu"}"#;
    let item = Item::from_json(text).unwrap();
    // With thresholds no probability reaches, the label comes from the lexicon alone.
    assert_eq!(
        Engine::new(lenient).check(&item).label,
        Some(Label::Offensive)
    );
    assert_ne!(Engine::new(strict).check(&item).label, Some(Label::Clean));
}

/// In a post only the detectors flag, the span model shows the other abusive words, worded as
/// its estimate in both languages and never over what a detector already reports; in a post
/// nobody flags, it says nothing (it places evidence, it does not judge).
#[test]
fn the_span_model_places_evidence_in_posts_the_detectors_flag() {
    let r = post("citizen", "tao nói thật, nó ngáo vãi");
    assert_eq!(r.label, Some(quytac_core::finding::Label::Offensive));
    let (marked, detected): (Vec<_>, Vec<_>) = r.findings.iter().partition(|f| {
        f.message_en
            .contains("in a post the detectors found abusive")
    });
    assert!(
        !marked.is_empty() && !detected.is_empty(),
        "{:?}",
        r.findings
    );
    for m in &marked {
        assert!(m
            .message_en
            .contains("span model's estimate, not a finding of fact"));
        assert!(m
            .message_vi
            .contains("ước tính của mô hình đánh dấu từ ngữ, không phải kết luận"));
        let (ms, me) = (m.start.unwrap(), m.end.unwrap());
        assert!(
            detected
                .iter()
                .all(|d| d.end.unwrap() <= ms || me <= d.start.unwrap()),
            "{:?}",
            r.findings
        );
    }
    let r = post("citizen", "tao nói thật, nó học giỏi lắm");
    assert_eq!(r.label, Some(quytac_core::finding::Label::Clean));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

/// In a post already flagged, the span model marks the words it reads as abusive from 0.30 on
/// (`FLAGGED_POST_WORD_THRESHOLD`), not only from its own threshold for a word of any post
/// (0.45), and its stretches stop at the words a detector reports: in "cái loại rác rưởi như
/// mày" the lexicon reports "loại rác rưởi", and the span model "như mày" (0.38 and 0.99).
#[test]
fn in_a_flagged_post_the_span_model_marks_the_rest_of_the_insult() {
    let r = post("citizen", "cái loại rác rưởi như mày");
    let evidence: Vec<&str> = r.findings.iter().map(|f| f.evidence.as_str()).collect();
    assert_eq!(evidence, ["loại rác rưởi", "như mày"], "{:?}", r.findings);
    assert!(r.findings[1].message_en.contains("span model: probability"));
}
