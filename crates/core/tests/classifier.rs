//! The whole-text classifier as users meet it: the shipped model, the model file, training.

use quytac_core::classifier::{
    train, Classifier, FeatureSpec, Label, ModelError, Thresholds, TrainConfig,
};
use quytac_core::text::{slice_chars, Normalized};

fn label(text: &str) -> Label {
    Classifier::builtin().predict_text(text).label()
}

#[test]
fn shipped_model_loads_and_scores_sensibly() {
    let m = Classifier::builtin();
    assert!(!m.description().is_empty());
    for text in [
        "Chúc mừng sinh nhật em, chúc em luôn vui vẻ",
        "Cảm ơn bạn đã chia sẻ thông tin hữu ích",
        "Hôm nay trời đẹp quá, đi chơi thôi",
    ] {
        assert_eq!(label(text), Label::Clean, "{text}");
    }
    for text in ["Địt mẹ mày", "thằng óc chó ngu như bò", "đm con chó này"] {
        assert_ne!(label(text), Label::Clean, "{text}");
    }
    let p = m.predict_text("đồ ngu");
    assert!((p.probs.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(p.probs.iter().all(|x| (0.0..=1.0).contains(x)));
}

#[test]
fn shipped_model_sees_through_disguises() {
    let m = Classifier::builtin();
    let plain = m.predict_text("thằng óc chó ngu như bò").toxic();
    for disguised in [
        "thằng óc chó n.g.u như bò",
        "thang oc cho ngu nhu bo",
        "thằng óc chó nguuuuu như bò",
        "thằng óc chó ng.u như b0",
    ] {
        let t = m.predict_text(disguised).toxic();
        assert!(t > 0.5, "{disguised}: {t} (undisguised {plain})");
    }
}

#[test]
fn empty_and_symbol_only_text_is_clean() {
    for text in ["", "   ", "!!! 😡 ..."] {
        let p = Classifier::builtin().predict_text(text);
        assert!(p.probs.iter().all(|x| x.is_finite()));
        assert_eq!(p.label(), Label::Clean, "{text:?}");
    }
}

#[test]
fn model_file_round_trips() {
    let m = Classifier::builtin();
    let bytes = m.to_bytes();
    assert!(
        bytes.len() < 20_000_000,
        "model file is {} bytes",
        bytes.len()
    );
    let back = Classifier::from_bytes(&bytes).unwrap();
    assert_eq!(&back, m);
    assert!(matches!(
        Classifier::from_bytes(&bytes[..bytes.len() / 2]),
        Err(ModelError::Checksum | ModelError::Truncated)
    ));
    assert_eq!(Classifier::from_bytes(b"hello"), Err(ModelError::BadMagic));
}

#[test]
fn attribution_points_at_the_insult_not_the_whole_post() {
    let m = Classifier::builtin();
    let text = "Bài viết rất hay và bổ ích, cảm ơn tác giả nhiều. Còn thằng admin thì ngu như bò";
    let norm = Normalized::new(text);
    let label = m.predict(&norm).label();
    assert_ne!(label, Label::Clean);
    let spans = m.attribute(&norm, label);
    assert!(!spans.is_empty());
    let best = spans[0];
    let evidence = slice_chars(text, best.start, best.end);
    assert!(evidence.contains("ngu"), "best span {evidence:?}");
    let covered: usize = spans.iter().map(|a| a.end - a.start).sum();
    assert!(
        covered < text.chars().count() / 2,
        "spans cover {covered} chars: {spans:?}"
    );
    assert!(spans.windows(2).all(|w| w[0].weight >= w[1].weight));
}

#[test]
fn thresholds_trade_precision_for_recall() {
    let p = Classifier::builtin().predict_text("mày hơi bị lố đấy");
    let strict = Thresholds {
        offensive: 1.01,
        hate: 1.01,
    };
    let lax = Thresholds {
        offensive: 0.0,
        hate: 1.01,
    };
    assert_eq!(p.label_with(&strict), Label::Clean);
    assert_eq!(p.label_with(&lax), Label::Offensive);
}

#[test]
fn labels_serialise_in_snake_case() {
    assert_eq!(
        serde_json::to_string(&Label::Offensive).unwrap(),
        "\"offensive\""
    );
    assert_eq!(
        serde_json::from_str::<Label>("\"hate\"").unwrap(),
        Label::Hate
    );
    assert_eq!("2".parse::<Label>().unwrap(), Label::Hate);
}

fn synthetic() -> Vec<(String, Label)> {
    let people = ["thằng kia", "con này", "mày", "bọn nó", "lão ấy"];
    let insults = ["ngu như bò", "óc chó", "mất dạy", "khốn nạn"];
    let groups = ["bọn bắc kỳ", "lũ ba que", "dân nam kỳ"];
    let nice = [
        "đẹp quá",
        "hay lắm",
        "cảm ơn nhiều",
        "chúc vui vẻ",
        "ngon ghê",
    ];
    let mut v = Vec::new();
    for p in people {
        for n in nice {
            v.push((format!("{p} {n}"), Label::Clean));
        }
        for i in insults {
            v.push((format!("{p} {i}"), Label::Offensive));
        }
    }
    for g in groups {
        for i in insults {
            v.push((format!("{g} {i} cút hết đi"), Label::Hate));
        }
    }
    v
}

#[test]
fn training_is_deterministic_and_learns() {
    let data = synthetic();
    let ex: Vec<(&str, Label)> = data.iter().map(|(t, l)| (t.as_str(), *l)).collect();
    let cfg = TrainConfig {
        features: FeatureSpec {
            hash_bits: 14,
            ..FeatureSpec::default()
        },
        l2: 1e-3,
        folds: 3,
        max_iter: 60,
        ..TrainConfig::default()
    };
    let a = train(&ex, &cfg).to_bytes();
    let b = train(&ex, &cfg).to_bytes();
    assert_eq!(a, b, "two runs gave different model files");
    let m = Classifier::from_bytes(&a).unwrap();
    assert_eq!(
        m.predict_text("con kia cảm ơn nhiều").argmax(),
        Label::Clean
    );
    assert_eq!(
        m.predict_text("thằng này mất dạy").argmax(),
        Label::Offensive
    );
    assert_eq!(m.predict_text("lũ ba que cút hết đi").argmax(), Label::Hate);
}
