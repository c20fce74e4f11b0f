//! Measuring AG-4 portal consistency on labelled post/article pairs
//! (`eval/portal_pairs.jsonl`), shared by the core's test and `quytac eval --task portal`.
//!
//! Each pair has a page post, a portal article and the spans of the post that state a fact
//! differently (`expected_mismatches`, by their text). A reported mismatch is correct when its
//! span overlaps an expected one; precision and recall are over spans.
//!
//! Two modes:
//! - [`Mode::Pairs`]: each post against its one article.
//! - [`Mode::Feed`]: each post against a whole feed — its article plus every article of the set
//!   on another subject (all those not paired with this post as same-subject), so the subject
//!   matching must also pick the right article among some fifty. A post is never given an
//!   article of its own subject other than the pair's, which would state its facts too.

use super::feed::Article;
use super::portal::{compare, PortalMismatch};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, Deserialize)]
pub struct PairArticle {
    pub title: String,
    pub url: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedMismatch {
    pub kind: String,
    /// The differing fact as written in the post.
    pub post_text: String,
}

/// One labelled pair.
#[derive(Debug, Clone, Deserialize)]
pub struct PortalPair {
    pub id: String,
    /// `same_facts`, `changed_money`, …, `unrelated`, `similar_subject`, `short_similar`…
    pub case: String,
    pub post: String,
    pub article: PairArticle,
    pub expected_mismatches: Vec<ExpectedMismatch>,
}

impl PortalPair {
    fn article(&self) -> Article {
        Article {
            title: self.article.title.clone(),
            url: self.article.url.clone(),
            published: None,
            text: self.article.text.clone(),
        }
    }

    /// Whether the pair's article is about the post's own subject.
    fn same_subject(&self) -> bool {
        !(self.case.starts_with("unrelated")
            || self.case.ends_with("similar")
            || self.case.starts_with("similar"))
    }
}

/// Reads the JSON Lines set; blank lines are skipped.
pub fn parse_pairs(jsonl: &str) -> Result<Vec<PortalPair>, String> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// How the posts are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pairs,
    Feed,
}

/// Counts of one group of pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pairs: usize,
    pub reported: usize,
    pub correct: usize,
    pub expected: usize,
    pub found: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.reported == 0 {
            1.0
        } else {
            self.correct as f64 / self.reported as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.found as f64 / self.expected as f64
        }
    }
}

/// The outcome of a run: overall, per case, and what went wrong.
#[derive(Debug, Clone, Default)]
pub struct PortalScores {
    pub total: Counts,
    pub by_case: BTreeMap<String, Counts>,
    pub errors: Vec<String>,
}

impl PortalScores {
    /// A printable table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<20} {:>5} {:>9} {:>9}\n",
            "case", "pairs", "precision", "recall"
        );
        let row = |name: &str, c: &Counts| {
            format!(
                "{:<20} {:>5} {:>9} {:>9}\n",
                name,
                c.pairs,
                format!("{:.3}", c.precision()),
                if c.expected == 0 {
                    "-".to_string()
                } else {
                    format!("{:.3}", c.recall())
                }
            )
        };
        for (case, c) in &self.by_case {
            s.push_str(&row(case, c));
        }
        s.push_str(&row("all", &self.total));
        s.push_str(&format!(
            "mismatches: {} reported, {} correct, {} expected, {} found\n",
            self.total.reported, self.total.correct, self.total.expected, self.total.found
        ));
        s
    }
}

/// Char range of the first occurrence of `needle` in `hay`.
fn char_range(hay: &str, needle: &str) -> Option<(usize, usize)> {
    let b = hay.find(needle)?;
    let s = hay[..b].chars().count();
    Some((s, s + needle.chars().count()))
}

/// Scores every pair; an expected span missing from its post is an error of the data set.
pub fn evaluate(pairs: &[PortalPair], mode: Mode) -> Result<PortalScores, String> {
    // Distinct articles, and for each post the articles of its own subject.
    let mut articles: Vec<Article> = Vec::new();
    let mut seen = HashSet::new();
    for p in pairs {
        if seen.insert(p.article.url.clone()) {
            articles.push(p.article());
        }
    }
    let own = |post: &str| -> HashSet<&str> {
        pairs
            .iter()
            .filter(|q| q.post == post && q.same_subject())
            .map(|q| q.article.url.as_str())
            .collect()
    };
    let mut scores = PortalScores::default();
    for p in pairs {
        let want: Vec<(usize, usize)> = p
            .expected_mismatches
            .iter()
            .map(|m| {
                char_range(&p.post, &m.post_text)
                    .ok_or_else(|| format!("{}: `{}` is not in the post", p.id, m.post_text))
            })
            .collect::<Result<_, _>>()?;
        let feed: Vec<Article> = match mode {
            Mode::Pairs => vec![p.article()],
            Mode::Feed => {
                let own = own(&p.post);
                std::iter::once(p.article())
                    .chain(
                        articles
                            .iter()
                            .filter(|a| a.url != p.article.url && !own.contains(a.url.as_str()))
                            .cloned(),
                    )
                    .collect()
            }
        };
        let got: Vec<PortalMismatch> = compare(&p.post, &feed);
        let overlaps = |a: (usize, usize), b: (usize, usize)| a.0 < b.1 && b.0 < a.1;
        let mut c = Counts {
            pairs: 1,
            expected: want.len(),
            reported: got.len(),
            ..Counts::default()
        };
        for w in &want {
            if got.iter().any(|m| overlaps(m.post_span, *w)) {
                c.found += 1;
            } else {
                let text: String = p.post.chars().skip(w.0).take(w.1 - w.0).collect();
                scores
                    .errors
                    .push(format!("{} missed: {text} ({})", p.id, p.case));
            }
        }
        for m in &got {
            if want.iter().any(|w| overlaps(m.post_span, *w)) {
                c.correct += 1;
            } else {
                scores.errors.push(format!(
                    "{} false: {} ≠ {} <{}> ({})",
                    p.id, m.post_text, m.article_text, m.article_url, p.case
                ));
            }
        }
        for t in [
            &mut scores.total,
            scores.by_case.entry(p.case.clone()).or_default(),
        ] {
            t.pairs += c.pairs;
            t.reported += c.reported;
            t.correct += c.correct;
            t.expected += c.expected;
            t.found += c.found;
        }
    }
    Ok(scores)
}
