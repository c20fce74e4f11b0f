//! AG-4: is a page post consistent with the agency's official portal?
//!
//! For a post we (1) find the portal articles on the same subject, by the share of the post's
//! content-word bigrams that the article also has; (2) extract the facts of both
//! ([`super::facts`]); (3) align every post fact with an article fact of the same kind and unit
//! whose surrounding words agree, and report the pairs whose values differ. A post fact that
//! some related article states with the same value is consistent, whatever else the articles
//! say; a fact the articles do not state is not a mismatch (a post may add details).

use super::facts::{self, Fact, FactKind};
use super::feed::Article;
use crate::finding::{Category, Detection};
use crate::text::Normalized;
use std::collections::HashSet;

/// Minimum subject similarity for an article to be compared with a post.
pub const SUBJECT_THRESHOLD: f64 = 0.3;

/// Minimum number of shared bigrams, so that two short texts sharing one phrase ("thành
/// phố") are not taken for one subject.
const MIN_SHARED_BIGRAMS: usize = 2;

/// Minimum share of shared context words for two facts to be about the same thing when their
/// kind and unit alone do not pair them.
const CONTEXT_THRESHOLD: f64 = 0.5;

/// A fact of a post that the portal states differently.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalMismatch {
    pub kind: FactKind,
    /// The post's value, normalised ("1.500.000.000", "12/3/2024").
    pub post_value: String,
    /// Char offsets of the fact in the post, end exclusive.
    pub post_span: (usize, usize),
    /// The fact as written in the post.
    pub post_text: String,
    pub article_value: String,
    /// The fact as written in the article.
    pub article_text: String,
    pub article_url: String,
    pub article_title: String,
    /// Subject similarity of post and article, `[0, 1]`.
    pub similarity: f64,
}

/// Content-word bigrams of a text's plain key (no diacritics), numbers and stopwords left out
/// so that a changed figure does not change the subject.
fn bigrams(text: &str) -> HashSet<(String, String)> {
    let norm = Normalized::new(text);
    let key = norm.plain();
    let toks: Vec<&str> = (0..key.tokens().len()).map(|i| key.token_text(i)).collect();
    let mut out = HashSet::new();
    for w in toks.windows(2) {
        let content = |t: &str| !facts::is_stopword(t) && !t.chars().any(|c| c.is_ascii_digit());
        if content(w[0]) && content(w[1]) {
            out.insert((w[0].to_string(), w[1].to_string()));
        }
    }
    out
}

/// Subject similarity: the share of the smaller text's bigrams found in the other (overlap
/// coefficient), since a post often summarises a longer article.
pub fn subject_similarity(post: &str, article: &Article) -> f64 {
    similarity_of(&bigrams(post), &bigrams(&article_body(article)))
}

fn similarity_of(a: &HashSet<(String, String)>, b: &HashSet<(String, String)>) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    if shared < MIN_SHARED_BIGRAMS {
        return 0.0;
    }
    shared as f64 / smaller as f64
}

fn article_body(a: &Article) -> String {
    format!("{}.\n{}", a.title, a.text)
}

/// Share of the context words of `a` and `b` they have in common (relative to the shorter).
fn context_overlap(a: &Fact, b: &Fact) -> f64 {
    let n = a.context.len().min(b.context.len());
    if n == 0 {
        return 0.0;
    }
    let common = a.context.iter().filter(|w| b.context.contains(w)).count();
    common as f64 / n as f64
}

fn same_slot(a: &Fact, b: &Fact) -> bool {
    a.kind == b.kind && a.unit == b.unit
}

/// The facts of `post` that the related articles state differently.
pub fn compare(post: &str, articles: &[Article]) -> Vec<PortalMismatch> {
    let post_bigrams = bigrams(post);
    let mut related: Vec<(f64, &Article, Vec<Fact>)> = articles
        .iter()
        .map(|a| (similarity_of(&post_bigrams, &bigrams(&article_body(a))), a))
        .filter(|(s, _)| *s >= SUBJECT_THRESHOLD)
        .map(|(s, a)| (s, a, facts::extract(&article_body(a))))
        .collect();
    related.sort_by(|x, y| y.0.total_cmp(&x.0));
    if related.is_empty() {
        return Vec::new();
    }
    let post_facts = facts::extract(post);
    let mut out = Vec::new();
    for p in &post_facts {
        let approx = |q: &Fact| p.approx || q.approx;
        let stated_same = related.iter().any(|(_, _, fs)| {
            fs.iter()
                .any(|q| same_slot(p, q) && p.value.agrees(&q.value, approx(q)))
        });
        if stated_same {
            continue;
        }
        let mut best: Option<(f64, f64, &Article, &Fact)> = None;
        for (sim, article, fs) in &related {
            // The residue of a slot: article facts the post does not state (an article value
            // that the post states elsewhere is another fact of the post, not a different
            // version of this one) and post facts this article does not state.
            let residue: Vec<&Fact> = fs
                .iter()
                .filter(|q| same_slot(p, q))
                .filter(|q| {
                    !post_facts
                        .iter()
                        .any(|o| same_slot(o, q) && o.value.agrees(&q.value, o.approx || q.approx))
                })
                .collect();
            let post_residue = post_facts
                .iter()
                .filter(|o| same_slot(p, o))
                .filter(|o| {
                    !fs.iter()
                        .any(|q| same_slot(o, q) && o.value.agrees(&q.value, o.approx || q.approx))
                })
                .count();
            for q in &residue {
                let ctx = context_overlap(p, q);
                // One unexplained value on each side of a slot: they are the same fact told
                // two ways, whatever the words around them.
                let unique_pair = residue.len() == 1 && post_residue == 1;
                if ctx < CONTEXT_THRESHOLD && !unique_pair {
                    continue;
                }
                let better = best.is_none_or(|(bc, bs, _, _)| (ctx, *sim) > (bc, bs));
                if better {
                    best = Some((ctx, *sim, article, q));
                }
            }
        }
        if let Some((_, sim, article, q)) = best {
            out.push(PortalMismatch {
                kind: p.kind,
                post_value: p.value.display(),
                post_span: (p.start, p.end),
                post_text: p.text.clone(),
                article_value: q.value.display(),
                article_text: q.text.clone(),
                article_url: article.url.clone(),
                article_title: article.title.clone(),
                similarity: sim,
            });
        }
    }
    out
}

/// Turns mismatches into `portal_inconsistency` detections whose reason shows both values and
/// the article's link.
pub fn mismatches_to_detections(mismatches: &[PortalMismatch]) -> Vec<Detection> {
    mismatches
        .iter()
        .map(|m| Detection {
            category: Category::PortalInconsistency,
            start: m.post_span.0,
            end: m.post_span.1,
            score: (0.5 + m.similarity / 2.0).clamp(0.0, 1.0) as f32,
            kind: None,
            reason: format!(
                "{} khác cổng thông tin: bài đăng ghi “{}” ({}), cổng thông tin ghi “{}” ({}) — “{}” <{}>",
                m.kind.name_vi(),
                m.post_text,
                m.post_value,
                m.article_text,
                m.article_value,
                m.article_title,
                m.article_url
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, text: &str) -> Article {
        Article {
            title: title.into(),
            url: "https://example.gov.vn/tin/1".into(),
            published: None,
            text: text.into(),
        }
    }

    #[test]
    fn flags_a_changed_amount_and_links_the_article() {
        let a = article(
            "Hỗ trợ hộ dân bị ảnh hưởng bởi bão số 3",
            "UBND tỉnh quyết định hỗ trợ 1,5 tỷ đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.",
        );
        let post = "Tỉnh hỗ trợ 2 tỷ đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.";
        let m = compare(post, std::slice::from_ref(&a));
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].post_value, "2.000.000.000");
        assert_eq!(m[0].article_value, "1.500.000.000");
        let d = mismatches_to_detections(&m);
        assert_eq!(d[0].category, Category::PortalInconsistency);
        assert!(d[0].reason.contains("https://example.gov.vn/tin/1"));
        assert_eq!(
            crate::text::slice_chars(post, d[0].start, d[0].end),
            "2 tỷ đồng"
        );
    }

    #[test]
    fn accepts_a_reworded_amount_and_ignores_unrelated_articles() {
        let a = article(
            "Hỗ trợ hộ dân bị ảnh hưởng bởi bão số 3",
            "UBND tỉnh quyết định hỗ trợ 1.500 triệu đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.",
        );
        let post = "Tỉnh hỗ trợ 1,5 tỷ đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.";
        assert!(compare(post, std::slice::from_ref(&a)).is_empty());
        let other = article(
            "Khai mạc hội chợ thương mại",
            "Hội chợ có 200 gian hàng, vé 2 tỷ đồng.",
        );
        assert!(compare(
            "Tỉnh hỗ trợ 3 tỷ đồng cho hộ dân bị ảnh hưởng bởi bão số 3.",
            &[other]
        )
        .is_empty());
    }
}
