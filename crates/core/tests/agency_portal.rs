//! AG-4 portal consistency measured on `eval/portal_pairs.jsonl` (and the held-out
//! `eval/portal_pairs_holdout.jsonl`), each post against its article and against a whole feed,
//! plus robustness properties of the feed reader and the fact extractor.

use proptest::prelude::*;
use quytac_core::agency::portal_eval::{evaluate, parse_pairs, Mode};
use quytac_core::agency::{compare, facts, feed, mismatches_to_detections, parse_feed, Article};
use quytac_core::text::slice_chars;

const PAIRS: &str = include_str!("../../../eval/portal_pairs.jsonl");
const HOLDOUT: &str = include_str!("../../../eval/portal_pairs_holdout.jsonl");

fn measure(mode: Mode) -> (usize, f64, f64) {
    let pairs = parse_pairs(PAIRS).expect("valid JSONL");
    let scores = evaluate(&pairs, mode).expect("consistent data set");
    println!("portal consistency, {mode:?} mode, {} pairs:", pairs.len());
    print!("{}", scores.table());
    for e in &scores.errors {
        println!("  {e}");
    }
    (pairs.len(), scores.total.precision(), scores.total.recall())
}

/// Each post against its own article.
#[test]
fn portal_mismatch_precision_and_recall() {
    let (pairs, precision, recall) = measure(Mode::Pairs);
    assert!(pairs >= 100);
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(recall >= 0.85, "recall {recall:.3}");
}

/// Each post against a feed of its article and every article on another subject: the
/// subject matching must find the right one.
#[test]
fn portal_mismatch_precision_and_recall_against_a_whole_feed() {
    let (_, precision, recall) = measure(Mode::Feed);
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(recall >= 0.85, "recall {recall:.3}");
}

/// A set written after the method was settled (recall 0.750 then). It has since been seen: its
/// misses led to reading day-part dates ("chiều 3/9") and measure words ("25 triệu lượt hành
/// khách"), so it is a regression guard now, not a measure of unseen posts.
#[test]
fn portal_mismatch_on_the_held_out_pairs() {
    let pairs = parse_pairs(HOLDOUT).expect("valid JSONL");
    for mode in [Mode::Pairs, Mode::Feed] {
        let scores = evaluate(&pairs, mode).expect("consistent data set");
        println!(
            "held-out portal pairs, {mode:?} mode, {} pairs:",
            pairs.len()
        );
        print!("{}", scores.table());
        for e in &scores.errors {
            println!("  {e}");
        }
        assert!(scores.total.precision() >= 0.9);
        assert!(scores.total.recall() >= 0.85);
    }
}

#[test]
fn every_detection_shows_both_values_and_the_link() {
    for p in parse_pairs(PAIRS).unwrap() {
        let article = Article {
            title: p.article.title.clone(),
            url: p.article.url.clone(),
            published: None,
            text: p.article.text.clone(),
        };
        let got = compare(&p.post, std::slice::from_ref(&article));
        for (m, d) in got.iter().zip(mismatches_to_detections(&got)) {
            assert!(d.reason.contains(&article.url));
            assert!(d.reason.contains(&m.post_text) && d.reason.contains(&m.article_text));
        }
    }
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
