//! AG-4: is a page post consistent with the agency's official portal?
//!
//! For a post we (1) find the portal articles that share its words, by the share of the
//! post's content-word bigrams that the article also has; (2) extract the facts of both
//! ([`super::facts`]); (3) keep the one article that tells of the post's event — words alone
//! cannot tell the storm aid of one district from that of the next, so the facts vote (more of
//! the post's facts must agree with the article than differ) and, when they cannot tell, the
//! place names and a stronger share of words decide ([`tells_of_the_event`]); (4) align every
//! post fact with an article fact of the same kind and unit whose surrounding words agree, and
//! report the pairs whose values differ. A fact the article does not state is not a mismatch
//! (a post may add details).
//!
//! Measured on `eval/portal_pairs.jsonl` by [`super::portal_eval`] (`quytac eval --task
//! portal`). Known limits: a post with a single comparable fact on an event that recurs in
//! the same place (a weekly price change, a monthly reception day) is judged by its words and
//! names alone; the same quantity counted with another measure word ("25 triệu lượt hành
//! khách" against "35 triệu hành khách") is not compared.

use super::facts::{self, Fact, FactKind};
use super::feed::Article;
use crate::finding::{Category, Detection, Finding};
use crate::item::Role;
use crate::rules::RulePack;
use crate::text::Normalized;
use std::cmp::Ordering;
use std::collections::HashSet;

/// Minimum subject similarity for an article to be compared with a post.
pub const SUBJECT_THRESHOLD: f64 = 0.3;

/// Subject similarity an article needs when no fact of the post confirms it.
pub const STRONG_SUBJECT: f64 = 0.6;

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

/// Function words, with their diacritics: on the plain key "co" is both "có" (a function
/// word) and "cơ" ("cơ sở", "cơ quan"), so a word written with its marks is judged as
/// written, and only one written without any by its plain form ([`facts::is_stopword`]).
const STOPWORDS_MARKED: &[&str] = &[
    "và", "với", "là", "đã", "được", "tại", "trong", "các", "những", "nhưng", "có", "để", "cho",
    "từ", "đến", "này", "nay", "do", "đó", "của", "mà", "như", "theo", "trên", "dưới", "sau",
    "trước", "khi", "sẽ", "đang", "cũng", "bằng", "về", "vào", "ra", "ở", "hơn", "gần", "khoảng",
    "mỗi", "mọi", "một", "còn", "nên", "nếu", "hoặc", "ngày", "tháng", "năm", "lúc", "tổng", "số",
    "tôi", "tới", "lên", "xuống", "đạt",
];

/// Content-word bigrams of a text, on its plain key (no diacritics) so that a post typed
/// without diacritics still matches; numbers and function words left out so that a changed
/// figure does not change the subject.
fn bigrams(text: &str) -> HashSet<(String, String)> {
    let norm = Normalized::new(text);
    let (marked, plain) = (norm.marked(), norm.plain());
    let content: Vec<bool> = (0..plain.tokens().len())
        .map(|i| {
            let p = plain.token_text(i);
            let stop = if plain.tokens()[i].had_marks {
                STOPWORDS_MARKED.contains(&marked.token_text(i))
            } else {
                facts::is_stopword(p)
            };
            !stop && !p.chars().any(|c| c.is_ascii_digit())
        })
        .collect();
    (1..content.len())
        .filter(|&i| content[i - 1] && content[i])
        .map(|i| {
            (
                plain.token_text(i - 1).to_string(),
                plain.token_text(i).to_string(),
            )
        })
        .collect()
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

/// Whether `p` and `q` state the same value (with the slack of an approximate one).
fn agree(p: &Fact, q: &Fact) -> bool {
    same_slot(p, q) && p.value.agrees(&q.value, p.approx || q.approx)
}

/// The fact of an article (`fs`) that states post fact `p` differently, if any, with the
/// share of context words they have in common.
///
/// Only the residue of a slot is considered: article facts the post does not state (an
/// article value that the post states elsewhere is another fact of the post, not a different
/// version of this one), facing post facts this article does not state. One unexplained value
/// on each side of a slot is the same fact told two ways, whatever the words around them;
/// otherwise the context words must agree.
fn differing<'a>(p: &Fact, post_facts: &[Fact], fs: &'a [Fact]) -> Option<(f64, &'a Fact)> {
    let residue: Vec<&Fact> = fs
        .iter()
        .filter(|q| same_slot(p, q))
        .filter(|q| !post_facts.iter().any(|o| agree(o, q)))
        .collect();
    let post_residue = post_facts
        .iter()
        .filter(|o| same_slot(p, o))
        .filter(|o| !fs.iter().any(|q| agree(o, q)))
        .count();
    // A title often repeats a figure of the text: one value stated twice is one fact.
    let one_value = residue
        .first()
        .is_some_and(|r| residue.iter().all(|q| agree(r, q)));
    let unique_pair = one_value && post_residue == 1;
    residue
        .into_iter()
        .map(|q| (context_overlap(p, q), q))
        .filter(|(ctx, _)| *ctx >= CONTEXT_THRESHOLD || unique_pair)
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// How many of the post's facts an article states alike, and how many it states differently.
fn fact_votes(post_facts: &[Fact], fs: &[Fact]) -> (usize, usize) {
    let (mut agreeing, mut differing_n) = (0usize, 0usize);
    for p in post_facts {
        if fs.iter().any(|q| agree(p, q)) {
            agreeing += 1;
        } else if differing(p, post_facts, fs).is_some() {
            differing_n += 1;
        }
    }
    (agreeing, differing_n)
}

/// Whether an article that shares the post's words tells of the post's event.
///
/// The facts decide first: of the post's facts the article also states, more must agree than
/// differ. An article about the same kind of event elsewhere or in another year (the storm aid
/// of another district, last year's exam) shares the words of the post but states few of its
/// figures, while a post that misreports its own article gets one figure wrong and the rest
/// right. When the facts cannot tell (one comparable fact or none, or as many agreeing as
/// differing), the places named decide ([`names`]): with an agreeing fact, the article must
/// not name a place the post does not while the post names one the article does not ("xã Nậm
/// Lúc", "xã Tả Van"); with none, every place the post names must be in the article and the
/// words must be shared strongly ([`STRONG_SUBJECT`]).
fn tells_of_the_event(
    (agreeing, differing_n): (usize, usize),
    similarity: f64,
    post_names: &HashSet<String>,
    article: &Article,
) -> bool {
    if agreeing + differing_n >= 2 && agreeing != differing_n {
        return agreeing > differing_n;
    }
    let article_names = names(&article_body(article));
    let post_only = post_names.iter().any(|n| !article_names.contains(n));
    let article_only = article_names.iter().any(|n| !post_names.contains(n));
    if agreeing >= 1 {
        !(post_only && article_only)
    } else {
        // Nothing agrees: the words must be shared strongly and every place the post names
        // must be in the article.
        !post_only && similarity >= STRONG_SUBJECT
    }
}

/// Words after which a capitalised word is a place or facility name.
const NAME_PREFIXES: &[&str] = &[
    "xa", "phuong", "huyen", "quan", "tinh", "cau", "duong", "song", "tran", "cho", "tp",
];

/// Capitalised words that head an organisation or a document, or open a sentence, not a name
/// of their own.
const GENERIC_HEADS: &[&str] = &[
    "bo", "so", "uy", "ban", "cuc", "chu", "quyet", "nghi", "luat", "cong", "thong", "trung",
    "nha", "le", "ngay", "ky", "pho", "tong", "van", "hoi", "theo", "tu", "tai", "vu", "sang",
    "chieu", "toi", "dem", "trong", "nam", "thang", "hom", "den", "khi", "sau", "truoc", "ve",
];

/// The place and facility names of a text, plain lower case: a capitalised word after
/// "xã", "huyện", "cầu", "đường"… and its capitalised followers, and runs of two or more
/// capitalised words ("Ba Vì", "Sóc Sơn", "Festival Huế"), organisation and document heads and
/// common sentence openers left out ("Bộ", "Quyết định", "Theo", "Sáng").
fn names(text: &str) -> HashSet<String> {
    let plain = |w: &str| -> String {
        w.chars()
            .flat_map(char::to_lowercase)
            .map(crate::text::vietnamese::strip)
            .collect()
    };
    // Each word without its punctuation, and whether punctuation follows it.
    let words: Vec<(&str, bool)> = text
        .split_whitespace()
        .map(|w| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            (core, !w.ends_with(core))
        })
        .collect();
    let capitalised = |w: &str| {
        let mut cs = w.chars();
        cs.next().is_some_and(char::is_uppercase)
            && cs.clone().all(char::is_alphabetic)
            && !cs.all(char::is_uppercase)
    };
    let is_prefix = |w: &str| NAME_PREFIXES.contains(&plain(w).as_str());
    let mut out = HashSet::new();
    let mut i = 0;
    while i < words.len() {
        if !capitalised(words[i].0) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < words.len() && capitalised(words[j].0) && !words[j - 1].1 {
            j += 1;
        }
        let mut run: Vec<String> = words[i..j].iter().map(|w| plain(w.0)).collect();
        let after_prefix = (i > 0 && is_prefix(words[i - 1].0) && !words[i - 1].1)
            || (run.len() >= 2 && is_prefix(&run[0]) && {
                run.remove(0);
                true
            });
        if !after_prefix {
            while run
                .first()
                .is_some_and(|w| GENERIC_HEADS.contains(&w.as_str()))
            {
                run.remove(0);
            }
        }
        if !run.is_empty() && (after_prefix || run.len() >= 2) {
            out.insert(run.join(" "));
        }
        i = j;
    }
    out
}

/// What comparing a post with a portal found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortalComparison {
    /// Index (into the articles given) of the one article that tells of the post's event.
    pub article: Option<usize>,
    /// Its subject similarity with the post.
    pub similarity: f64,
    /// How many of the post's facts it states alike, and differently.
    pub agreeing: usize,
    pub differing: usize,
    pub mismatches: Vec<PortalMismatch>,
}

/// The facts of `post` that the related articles state differently.
pub fn compare(post: &str, articles: &[Article]) -> Vec<PortalMismatch> {
    compare_detailed(post, articles).mismatches
}

/// [`compare`], with the article chosen and the vote of the facts.
pub fn compare_detailed(post: &str, articles: &[Article]) -> PortalComparison {
    let post_bigrams = bigrams(post);
    let related: Vec<(f64, usize, Vec<Fact>)> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (similarity_of(&post_bigrams, &bigrams(&article_body(a))), i))
        .filter(|(s, _)| *s >= SUBJECT_THRESHOLD)
        .map(|(s, i)| (s, i, facts::extract(&article_body(&articles[i]))))
        .collect();
    if related.is_empty() {
        return PortalComparison::default();
    }
    let post_facts = facts::extract(post);
    let post_names = names(post);
    // The one article that best tells of the post's event: most agreeing facts, then words.
    let best = related
        .into_iter()
        .filter_map(|(sim, i, fs)| {
            let votes = fact_votes(&post_facts, &fs);
            tells_of_the_event(votes, sim, &post_names, &articles[i]).then_some((votes, sim, i, fs))
        })
        .max_by(|x, y| {
            let margin = |v: (usize, usize)| v.0 as i64 - v.1 as i64;
            (margin(x.0), x.1)
                .partial_cmp(&(margin(y.0), y.1))
                .unwrap_or(Ordering::Equal)
        });
    let Some(((agreeing, differing_n), sim, i, fs)) = best else {
        return PortalComparison::default();
    };
    let article = &articles[i];
    let mismatches = post_facts
        .iter()
        .filter(|p| !fs.iter().any(|q| agree(p, q)))
        .filter_map(|p| {
            let (_, q) = differing(p, &post_facts, &fs)?;
            Some(PortalMismatch {
                kind: p.kind,
                post_value: p.value.display(),
                post_span: (p.start, p.end),
                post_text: p.text.clone(),
                article_value: q.value.display(),
                article_text: q.text.clone(),
                article_url: article.url.clone(),
                article_title: article.title.clone(),
                similarity: sim,
            })
        })
        .collect();
    PortalComparison {
        article: Some(i),
        similarity: sim,
        agreeing,
        differing: differing_n,
        mismatches,
    }
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

/// Judges mismatches against a rule pack: each becomes a `portal_inconsistency` finding of
/// the rule the pack gives `role` for that category (AG-4 for `agency`), whose messages show
/// the post's value, the portal's value and the article's title and link. No rule, no
/// finding; detections under the pack's threshold are dropped as the engine drops them.
pub fn mismatch_findings(
    pack: &RulePack,
    role: Role,
    post: &str,
    mismatches: &[PortalMismatch],
) -> Vec<Finding> {
    let Some(rule) = pack.rule_for(role, Category::PortalInconsistency) else {
        return Vec::new();
    };
    let threshold = pack.threshold(Category::PortalInconsistency);
    mismatches
        .iter()
        .zip(mismatches_to_detections(mismatches))
        .filter(|(_, d)| d.score >= threshold)
        .map(|(m, d)| Finding {
            rule: rule.id.clone(),
            category: Category::PortalInconsistency,
            severity: rule.severity_for(Category::PortalInconsistency),
            start: Some(d.start),
            end: Some(d.end),
            evidence: crate::text::slice_chars(post, d.start, d.end).to_string(),
            kind: None,
            score: d.score,
            message_vi: format!("{} {}", rule.message_vi, d.reason),
            message_en: format!(
                "{} ({}: the post says “{}” ({}), the portal says “{}” ({}) — “{}” <{}>)",
                rule.message_en,
                m.kind.as_str(),
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
    fn findings_follow_the_pack_rule_of_the_role() {
        let a = article(
            "Hỗ trợ hộ dân bị ảnh hưởng bởi bão số 3",
            "UBND tỉnh quyết định hỗ trợ 1,5 tỷ đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.",
        );
        let post = "Tỉnh hỗ trợ 2 tỷ đồng cho các hộ dân bị ảnh hưởng bởi bão số 3.";
        let m = compare(post, std::slice::from_ref(&a));
        for id in RulePack::builtin_ids() {
            let pack = RulePack::builtin(id).unwrap();
            let f = mismatch_findings(&pack, Role::Agency, post, &m);
            if id != "vn-2018-draft" {
                // RULES.md gives agency duties only to the 2018 draft; the 2021 decision and
                // the 2024 decree (providers) have no AG-4.
                assert!(f.is_empty(), "{id} has no AG-4");
                continue;
            }
            assert_eq!(f.len(), 1, "{id}");
            assert_eq!(f[0].rule, "AG-4");
            assert_eq!(f[0].evidence, "2 tỷ đồng");
            assert!(
                f[0].message_vi.contains("1.500.000.000"),
                "{}",
                f[0].message_vi
            );
            assert!(f[0].message_en.contains("https://example.gov.vn/tin/1"));
            assert!(mismatch_findings(&pack, Role::Citizen, post, &m).is_empty());
        }
    }

    #[test]
    fn the_same_kind_of_event_elsewhere_is_not_the_posts_subject() {
        let post = "Theo Quyết định 4512/QĐ-UBND ngày 12/9/2024, thành phố hỗ trợ 1,5 tỷ đồng cho 320 hộ dân huyện Ba Vì bị thiệt hại do bão số 3.";
        let elsewhere = article(
            "Hỗ trợ hộ dân huyện Sóc Sơn bị thiệt hại do bão số 3",
            "Ngày 20/9/2024, UBND thành phố ban hành Quyết định 4600/QĐ-UBND hỗ trợ 800 triệu đồng cho 150 hộ dân huyện Sóc Sơn bị thiệt hại do bão số 3.",
        );
        assert!(subject_similarity(post, &elsewhere) >= SUBJECT_THRESHOLD);
        assert!(compare(post, std::slice::from_ref(&elsewhere)).is_empty());
        // With its own article beside it, only the changed figure is reported, against it.
        let own = Article {
            url: "https://example.gov.vn/tin/ba-vi".into(),
            ..article(
                "Hỗ trợ các hộ dân bị thiệt hại do bão số 3",
                "Ngày 12/9/2024, UBND thành phố ban hành Quyết định 4512/QĐ-UBND hỗ trợ 1.500 triệu đồng cho 230 hộ dân bị thiệt hại do bão số 3 tại huyện Ba Vì.",
            )
        };
        let m = compare(post, &[elsewhere, own]);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(
            (m[0].post_text.as_str(), m[0].article_value.as_str()),
            ("320 hộ", "230")
        );
        assert_eq!(m[0].article_url, "https://example.gov.vn/tin/ba-vi");
    }

    #[test]
    fn place_names_skip_organisation_heads_and_sentence_starts() {
        let n = names("Theo Quyết định của UBND tỉnh, Bộ Y tế hỗ trợ xã Nậm Lúc và huyện Ba Vì. Cầu Rào 1 đóng cửa; Festival Huế mở cửa.");
        let mut n: Vec<_> = n.into_iter().collect();
        n.sort();
        assert_eq!(n, ["ba vi", "festival hue", "nam luc", "rao"]);
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
