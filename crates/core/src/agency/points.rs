//! AG-6: the most frequent points of a group of comments — the content phrases (word n-grams
//! of two to four words) that the most comments share.
//!
//! Phrases are counted on the plain normalisation key, so "phí trông xe" and "phi trong xe"
//! are one point; each is shown in its most frequent written form. A phrase counts once per
//! comment (document frequency), so one long comment cannot make its own words "frequent".
//! A candidate must stay inside one clause, hold no digit, not begin or end with a function
//! word, and not contain a stance cue ("đề nghị", "bổ sung": they say how, not what). Of two
//! overlapping candidates the one more comments share is kept, the longer one on a tie.

use super::stance;
use crate::text::{vietnamese, Normalized};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A point raised by several comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// The phrase in its most frequent written form (lower case).
    pub phrase: String,
    /// How many comments contain it.
    pub comments: usize,
}

/// Longest phrase counted, in words.
pub const MAX_WORDS: usize = 4;

/// A phrase must appear in at least this many comments to be a point.
pub const MIN_COMMENTS: usize = 2;

/// Function words, pronouns and fillers that cannot begin or end a point (marked keys).
const STOPWORDS: &[&str] = &[
    "là", "và", "với", "của", "có", "cho", "được", "các", "những", "một", "này", "đó", "để", "thì",
    "mà", "khi", "nếu", "đã", "đang", "sẽ", "cũng", "rất", "hơn", "nhất", "như", "theo", "trên",
    "dưới", "trong", "ngoài", "về", "từ", "đến", "tới", "vào", "ra", "lên", "xuống", "tại", "do",
    "bởi", "vì", "nên", "cần", "phải", "thể", "không", "chưa", "chẳng", "chả", "hay", "hoặc",
    "nhưng", "tuy", "song", "vẫn", "còn", "lại", "đi", "tôi", "chúng", "ta", "mình", "em", "anh",
    "chị", "bạn", "họ", "quá", "lắm", "thật", "hết", "mọi", "mỗi", "nhiều", "ít", "ai", "gì",
    "nào", "đây", "kia", "ấy", "vậy", "thế", "rồi", "nữa", "chỉ", "ngay", "luôn", "đều", "bị",
    "bằng", "hoàn", "toàn", "việc", "sự", "cái", "điều", "rằng", "thêm", "nhé", "ạ", "ơi", "xin",
    "mong", "muốn", "thấy", "nghĩ", "ý", "kiến", "dự", "thảo", "ban", "soạn", "đây", "vừa", "sao",
    "hãy",
];

/// Phrases that name the consultation itself, not a point of it.
const GENERIC: &[&str] = &[
    "dự thảo",
    "ban soạn thảo",
    "ý kiến",
    "lấy ý kiến",
    "quy định",
    "người dân",
    "chủ trương",
];

struct Lists {
    stop_marked: HashSet<&'static str>,
    stop_plain: HashSet<String>,
    /// Plain token sequences a point may not contain.
    banned: Vec<Vec<String>>,
}

fn plain_of(w: &str) -> String {
    w.chars().map(vietnamese::strip).collect()
}

fn lists() -> &'static Lists {
    static L: OnceLock<Lists> = OnceLock::new();
    L.get_or_init(|| {
        let seq = |p: &str| -> Vec<String> {
            let n = Normalized::new(p);
            let k = n.plain();
            (0..k.tokens().len())
                .map(|i| k.token_text(i).to_string())
                .collect()
        };
        Lists {
            stop_marked: STOPWORDS.iter().copied().collect(),
            stop_plain: STOPWORDS.iter().map(|w| plain_of(w)).collect(),
            banned: stance::CUES
                .iter()
                .map(|(p, _, _)| seq(p))
                .chain(GENERIC.iter().map(|p| seq(p)))
                .filter(|s| !s.is_empty())
                .collect(),
        }
    })
}

/// One token of a comment, as the counting sees it.
struct Tok {
    plain: String,
    marked: String,
    stop: bool,
    digit: bool,
    /// Punctuation separates it from the token before.
    clause_start: bool,
}

fn tokens(text: &str) -> Vec<Tok> {
    let l = lists();
    let norm = Normalized::new(text);
    let (mk, pk) = (norm.marked(), norm.plain());
    let chars: Vec<char> = text.chars().collect();
    let toks = pk.tokens();
    (0..toks.len())
        .map(|i| {
            let marked = mk.token_text(i).to_string();
            let plain = pk.token_text(i).to_string();
            let stop = l.stop_marked.contains(marked.as_str())
                || (!toks[i].had_marks && l.stop_plain.contains(&plain));
            let clause_start = i == 0 || {
                let (a, b) = (toks[i - 1].orig.end.min(chars.len()), toks[i].orig.start);
                chars[a..b.clamp(a, chars.len())]
                    .iter()
                    .any(|c| !c.is_alphanumeric() && !c.is_whitespace() && *c != '-')
            };
            Tok {
                digit: plain.chars().any(|c| c.is_ascii_digit()),
                plain,
                marked,
                stop,
                clause_start,
            }
        })
        .collect()
}

fn contains(hay: &[String], needle: &[String]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The most frequent points of `texts`, at most `max`, most shared first.
pub fn frequent_points<'a>(texts: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<Point> {
    let l = lists();
    // Plain n-gram → (comments containing it, written forms and their counts).
    let mut df: HashMap<Vec<String>, (usize, HashMap<String, usize>)> = HashMap::new();
    for text in texts {
        let toks = tokens(text);
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        for n in 2..=MAX_WORDS {
            for s in 0..toks.len().saturating_sub(n - 1) {
                let w = &toks[s..s + n];
                if w[0].stop || w[n - 1].stop || w.iter().any(|t| t.digit) {
                    continue;
                }
                if w[1..].iter().any(|t| t.clause_start) {
                    continue;
                }
                let key: Vec<String> = w.iter().map(|t| t.plain.clone()).collect();
                if l.banned.iter().any(|b| contains(&key, b)) {
                    continue;
                }
                let form = w
                    .iter()
                    .map(|t| t.marked.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let entry = df.entry(key.clone()).or_default();
                *entry.1.entry(form).or_default() += 1;
                if seen.insert(key) {
                    entry.0 += 1;
                }
            }
        }
    }
    let mut cands: Vec<(Vec<String>, usize, String)> = df
        .into_iter()
        .filter(|(_, (n, _))| *n >= MIN_COMMENTS)
        .map(|(key, (n, forms))| {
            // The most frequent form; on a tie the one with diacritics, then the first in order.
            let form = forms
                .into_iter()
                .max_by_key(|(f, count)| (*count, !f.is_ascii(), std::cmp::Reverse(f.clone())))
                .map(|f| f.0)
                .unwrap_or_default();
            (key, n, form)
        })
        .collect();
    cands.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0.len().cmp(&a.0.len()))
            .then(a.2.cmp(&b.2))
    });
    let mut picked: Vec<(Vec<String>, usize, String)> = Vec::new();
    for c in cands {
        if picked.len() >= max {
            break;
        }
        let overlaps = picked
            .iter()
            .any(|p| contains(&p.0, &c.0) || contains(&c.0, &p.0) || shares_edge(&p.0, &c.0));
        if !overlaps {
            picked.push(c);
        }
    }
    picked
        .into_iter()
        .map(|(_, comments, phrase)| Point { phrase, comments })
        .collect()
}

/// Two n-grams that chain ("phí trông" and "trông xe") are one phrase cut differently.
fn shares_edge(a: &[String], b: &[String]) -> bool {
    let overlap =
        |x: &[String], y: &[String]| (1..x.len().min(y.len())).any(|k| x[x.len() - k..] == y[..k]);
    overlap(a, b) || overlap(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_comments_not_occurrences_and_folds_diacritics() {
        let texts = [
            "Đề nghị giảm phí trông giữ xe cho người cao tuổi.",
            "Phí trông giữ xe quá cao, người cao tuổi khó khăn.",
            "phi trong giu xe nen giam",
            "Tôi đồng tình.",
        ];
        let p = frequent_points(texts, 5);
        assert_eq!(p[0].phrase, "phí trông giữ xe");
        assert_eq!(p[0].comments, 3);
        assert!(
            p.iter()
                .any(|x| x.phrase == "người cao tuổi" && x.comments == 2),
            "{p:?}"
        );
        assert!(!p.iter().any(|x| x.phrase.contains("đề nghị")));
    }
}
