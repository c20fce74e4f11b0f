//! AG-4 portal consistency measured on `eval/portal_pairs.jsonl`, plus robustness properties
//! of the feed reader and the fact extractor.

use proptest::prelude::*;
use quytac_core::agency::{compare, facts, feed, mismatches_to_detections, parse_feed, Article};
use quytac_core::text::slice_chars;
use serde_json::Value;

const PAIRS: &str = include_str!("../../../eval/portal_pairs.jsonl");

/// Char range of the first occurrence of `needle` in `hay`.
fn char_range(hay: &str, needle: &str) -> Option<(usize, usize)> {
    let b = hay.find(needle)?;
    let s = hay[..b].chars().count();
    Some((s, s + needle.chars().count()))
}

#[test]
fn portal_mismatch_precision_and_recall() {
    let (mut reported, mut correct, mut expected, mut found) = (0usize, 0usize, 0usize, 0usize);
    let mut errors = Vec::new();
    let mut pairs = 0;
    for line in PAIRS.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("valid JSONL");
        pairs += 1;
        let post = v["post"].as_str().unwrap();
        let a = &v["article"];
        let article = Article {
            title: a["title"].as_str().unwrap().into(),
            url: a["url"].as_str().unwrap().into(),
            published: None,
            text: a["text"].as_str().unwrap().into(),
        };
        let want: Vec<(usize, usize)> = v["expected_mismatches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| char_range(post, m["post_text"].as_str().unwrap()).expect("span in post"))
            .collect();
        let got = compare(post, std::slice::from_ref(&article));
        let overlaps = |a: (usize, usize), b: (usize, usize)| a.0 < b.1 && b.0 < a.1;
        expected += want.len();
        for w in &want {
            if got.iter().any(|m| overlaps(m.post_span, *w)) {
                found += 1;
            } else {
                errors.push(format!(
                    "{} missed: {}",
                    v["id"],
                    slice_chars(post, w.0, w.1)
                ));
            }
        }
        for m in &got {
            reported += 1;
            if want.iter().any(|w| overlaps(m.post_span, *w)) {
                correct += 1;
            } else {
                errors.push(format!(
                    "{} false: {} ≠ {} ({})",
                    v["id"], m.post_text, m.article_text, v["case"]
                ));
            }
        }
        // Every detection carries both values and the link.
        for d in mismatches_to_detections(&got) {
            assert!(d.reason.contains(&article.url));
        }
    }
    let precision = correct as f64 / reported.max(1) as f64;
    let recall = found as f64 / expected.max(1) as f64;
    println!(
        "portal consistency on {pairs} pairs: precision {precision:.3} ({correct}/{reported}), recall {recall:.3} ({found}/{expected})"
    );
    for e in &errors {
        println!("  {e}");
    }
    assert!(pairs >= 100);
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(recall >= 0.85, "recall {recall:.3}");
}

#[test]
fn finds_the_related_article_among_several() {
    let feed_xml = r#"<rss version="2.0"><channel><title>Cổng thông tin tỉnh</title>
<item><title>Khai mạc hội chợ nông sản</title><link>https://example.gov.vn/hoi-cho</link>
<description>Hội chợ nông sản có 150 gian hàng, khai mạc lúc 8h ngày 3/5/2024.</description></item>
<item><title>Hỗ trợ hộ dân bị ảnh hưởng bởi lũ quét</title><link>https://example.gov.vn/lu-quet</link>
<description>&lt;p&gt;UBND tỉnh hỗ trợ 500 triệu đồng cho 42 hộ dân bị ảnh hưởng bởi lũ quét tại xã Nậm Lúc.&lt;/p&gt;</description></item>
</channel></rss>"#;
    let feed = parse_feed(feed_xml.as_bytes()).unwrap();
    let post =
        "Tỉnh đã hỗ trợ 500 triệu đồng cho 24 hộ dân bị ảnh hưởng bởi lũ quét tại xã Nậm Lúc.";
    let m = compare(post, &feed.articles);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].post_text, "24 hộ");
    assert_eq!(m[0].article_value, "42");
    assert_eq!(m[0].article_url, "https://example.gov.vn/lu-quet");
}

proptest! {
    #[test]
    fn feed_parsing_never_panics(s in ".{0,400}") {
        let _ = parse_feed(s.as_bytes());
    }

    #[test]
    fn feed_parsing_never_panics_on_feed_like_input(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<rss>".to_string()), Just("<channel>".to_string()), Just("<item>".to_string()),
                Just("</item>".to_string()), Just("<title>".to_string()), Just("</title>".to_string()),
                Just("<![CDATA[".to_string()), Just("]]>".to_string()), Just("<!--".to_string()),
                Just("&#x1F600;".to_string()), Just("&#99999999;".to_string()), Just("&amp".to_string()),
                Just("<link href='x".to_string()), Just("<entry>".to_string()), Just("<!DOCTYPE [".to_string()),
                Just("<pubDate>Tue, 31 Feb 2024 25:00 +0700</pubDate>".to_string()),
                "[^<>&]{0,12}",
            ],
            0..40,
        )
    ) {
        let _ = parse_feed(parts.concat().as_bytes());
    }

    #[test]
    fn raw_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_feed(&bytes);
        let _ = feed::strip_html(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn fact_extraction_never_panics_and_spans_are_in_the_text(
        s in "([0-9]{1,6}|[.,/:%-]| |tỷ|triệu|đồng|k|h|giờ|ngày|tháng|năm|QĐ-UBND|NĐ-CP|hộ|ha|người|Số|\\PC){0,40}"
    ) {
        let n = s.chars().count();
        for f in facts::extract(&s) {
            prop_assert!(f.start < f.end && f.end <= n);
            prop_assert_eq!(slice_chars(&s, f.start, f.end), f.text.as_str());
        }
        let a = Article { title: s.clone(), url: String::new(), published: None, text: s.clone() };
        let _ = compare(&s, &[a]);
    }
}
