//! AG-6: the stance of a citizen's comment on a draft policy — support, oppose or suggest.
//!
//! A deliberately simple, explainable classifier: Vietnamese cue phrases, matched whole-token
//! on both normalisation keys (so "dong tinh" and "đồng tình" match alike, and teencode such as
//! "ko đồng ý" is read as "không đồng ý"), with negation and contrast:
//!
//! - each cue adds its weight to its stance; strong cues ("phản đối", "nên bổ sung") weigh 1,
//!   weak ones ("đề nghị" alone, "hợp lý") 0.5;
//! - where cues overlap, the one that starts first and is longest wins, so "không đồng ý"
//!   is one opposing cue, not a supporting "đồng ý";
//! - a negator ("không", "chưa", "chẳng", "chả", "không hề", "không thể") up to three tokens
//!   before a support cue, in the same clause, turns it into opposition, and before an
//!   opposing cue into (weak) support ("không phản đối");
//! - cues after a contrast ("nhưng", "tuy nhiên", "song") weigh 1.5 times: in "đồng tình
//!   nhưng đề nghị bổ sung …" the suggestion is the point;
//! - ties go to oppose, then suggest, then support; a comment with no cue at all is a
//!   suggestion (a comment on a draft is a contribution to it), reported as uncued.
//!
//! The commenter's own choice, when given, always wins over this guess (the service records
//! which one was used).

use crate::text::{vietnamese, Normalized, PhraseMatch, PhraseMatcher, PlainMatching};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Where a comment stands on the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Support,
    Oppose,
    Suggest,
}

impl Stance {
    pub const ALL: [Stance; 3] = [Stance::Support, Stance::Oppose, Stance::Suggest];

    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Support => "support",
            Stance::Oppose => "oppose",
            Stance::Suggest => "suggest",
        }
    }

    /// A Vietnamese name for pages and exports.
    pub fn name_vi(self) -> &'static str {
        match self {
            Stance::Support => "đồng tình",
            Stance::Oppose => "phản đối",
            Stance::Suggest => "góp ý, đề xuất",
        }
    }

    fn index(self) -> usize {
        match self {
            Stance::Support => 0,
            Stance::Oppose => 1,
            Stance::Suggest => 2,
        }
    }
}

impl fmt::Display for Stance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stance::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| format!("unknown stance `{s}` (support, oppose, suggest)"))
    }
}

/// A cue found in a comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cue {
    /// The stance the cue counted for, after negation.
    pub stance: Stance,
    /// Char offsets into the comment, end exclusive.
    pub start: usize,
    pub end: usize,
    /// The cue was negated ("không ủng hộ").
    pub negated: bool,
    pub weight: f32,
}

/// The classifier's reading of a comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StanceGuess {
    pub stance: Stance,
    /// Summed weights per stance: support, oppose, suggest.
    pub scores: [f32; 3],
    pub cues: Vec<Cue>,
}

impl StanceGuess {
    /// No cue was found; the stance is the default (suggest).
    pub fn uncued(&self) -> bool {
        self.cues.is_empty()
    }
}

/// The cue lists: (phrase, stance, weight). Opposing phrases that begin with a negator are
/// listed whole so that they win over the supporting phrase they contain.
pub(crate) const CUES: &[(&str, Stance, f32)] = &[
    // Support.
    ("đồng tình", Stance::Support, 1.0),
    ("ủng hộ", Stance::Support, 1.0),
    ("nhất trí", Stance::Support, 1.0),
    ("tán thành", Stance::Support, 1.0),
    ("đồng ý", Stance::Support, 1.0),
    ("hoan nghênh", Stance::Support, 1.0),
    ("hưởng ứng", Stance::Support, 1.0),
    ("rất cần thiết", Stance::Support, 1.0),
    ("rất hay", Stance::Support, 1.0),
    ("rất tốt", Stance::Support, 1.0),
    ("rất đúng", Stance::Support, 1.0),
    ("tuyệt vời", Stance::Support, 1.0),
    ("thiết thực", Stance::Support, 0.5),
    ("hợp lý", Stance::Support, 0.5),
    ("phù hợp", Stance::Support, 0.5),
    ("cần thiết", Stance::Support, 0.5),
    ("đúng đắn", Stance::Support, 0.5),
    ("cảm ơn", Stance::Support, 0.5),
    ("mong sớm ban hành", Stance::Support, 1.0),
    ("sớm ban hành", Stance::Support, 0.5),
    ("sớm áp dụng", Stance::Support, 0.5),
    // Oppose.
    ("phản đối", Stance::Oppose, 1.0),
    ("không đồng ý", Stance::Oppose, 1.0),
    ("không đồng tình", Stance::Oppose, 1.0),
    ("không ủng hộ", Stance::Oppose, 1.0),
    ("không tán thành", Stance::Oppose, 1.0),
    ("không nhất trí", Stance::Oppose, 1.0),
    ("không nên", Stance::Oppose, 1.0),
    ("bác bỏ", Stance::Oppose, 1.0),
    ("vô lý", Stance::Oppose, 1.0),
    ("bất hợp lý", Stance::Oppose, 1.0),
    ("không hợp lý", Stance::Oppose, 1.0),
    ("không phù hợp", Stance::Oppose, 1.0),
    ("không cần thiết", Stance::Oppose, 1.0),
    ("không khả thi", Stance::Oppose, 1.0),
    ("thiếu khả thi", Stance::Oppose, 1.0),
    ("thiếu thực tế", Stance::Oppose, 1.0),
    ("xa rời thực tế", Stance::Oppose, 1.0),
    ("gây khó khăn", Stance::Oppose, 0.5),
    ("gây phiền hà", Stance::Oppose, 0.5),
    ("rút lại", Stance::Oppose, 1.0),
    ("hủy bỏ", Stance::Oppose, 0.5),
    ("bãi bỏ", Stance::Oppose, 0.5),
    ("quá cao", Stance::Oppose, 0.5),
    ("vô cùng bức xúc", Stance::Oppose, 1.0),
    ("bức xúc", Stance::Oppose, 0.5),
    // Suggest.
    ("đề nghị", Stance::Suggest, 0.5),
    ("kiến nghị", Stance::Suggest, 1.0),
    ("đề xuất", Stance::Suggest, 1.0),
    ("góp ý", Stance::Suggest, 0.5),
    ("nên bổ sung", Stance::Suggest, 1.0),
    ("cần bổ sung", Stance::Suggest, 1.0),
    ("bổ sung", Stance::Suggest, 1.0),
    ("làm rõ", Stance::Suggest, 1.0),
    ("quy định rõ", Stance::Suggest, 1.0),
    ("sửa đổi", Stance::Suggest, 1.0),
    ("sửa lại", Stance::Suggest, 1.0),
    ("điều chỉnh", Stance::Suggest, 1.0),
    ("xem xét", Stance::Suggest, 1.0),
    ("cân nhắc", Stance::Suggest, 1.0),
    ("nên quy định", Stance::Suggest, 1.0),
    ("nên có", Stance::Suggest, 1.0),
    ("nên tăng", Stance::Suggest, 1.0),
    ("nên giảm", Stance::Suggest, 1.0),
    ("nên tách", Stance::Suggest, 1.0),
    ("nên thêm", Stance::Suggest, 1.0),
    ("nên kéo dài", Stance::Suggest, 1.0),
    ("cần quy định", Stance::Suggest, 1.0),
    ("cần có", Stance::Suggest, 0.5),
    ("thay vì", Stance::Suggest, 0.5),
    ("thay bằng", Stance::Suggest, 1.0),
    ("thay thế bằng", Stance::Suggest, 1.0),
    ("mong ban soạn thảo", Stance::Suggest, 1.0),
];

/// Negators, as marked keys; a teencode "ko", "k", "hok" is already "không" in the key.
const NEGATORS: &[&str] = &["không", "chưa", "chẳng", "chả"];

/// Words allowed between a negator and its cue ("không hề", "không thể", "chưa thực sự").
const NEGATION_GAP: usize = 3;

/// Contrast markers, as marked keys: what follows them weighs more.
const CONTRAST: &[&str] = &["nhưng", "tuy", "song"];
const CONTRAST_BOOST: f32 = 1.5;

/// A negated opposing cue is weak support ("không phản đối").
const NEGATED_OPPOSE_WEIGHT: f32 = 0.5;

fn matcher() -> &'static PhraseMatcher {
    static M: OnceLock<PhraseMatcher> = OnceLock::new();
    M.get_or_init(|| PhraseMatcher::new(CUES.iter().map(|(p, _, _)| (*p, PlainMatching::Allowed))))
}

/// Reads the stance of a comment.
pub fn classify(text: &str) -> StanceGuess {
    let norm = Normalized::new(text);
    let mut found: Vec<PhraseMatch> = Vec::new();
    matcher().find_all(&norm, &mut found);
    // First start, then longest; drop anything overlapping a kept match.
    found.sort_by_key(|m| (m.tok_start(), std::cmp::Reverse(m.tok_end())));
    let mut kept: Vec<PhraseMatch> = Vec::new();
    for m in found {
        if kept.last().is_none_or(|k| m.tok_start() >= k.tok_end()) {
            kept.push(m);
        }
    }
    let (marked, plain) = (norm.marked(), norm.plain());
    let chars: Vec<char> = text.chars().collect();
    // A word of a list given with diacritics: the marked token equals it, or the token was
    // written without any and its plain form equals the word's ("khong" for "không").
    let is = |i: usize, words: &[&str]| {
        let m = marked.token_text(i);
        words.iter().any(|w| {
            *w == m
                || (!plain.tokens()[i].had_marks
                    && plain
                        .token_text(i)
                        .chars()
                        .eq(w.chars().map(vietnamese::strip)))
        })
    };
    // A clause boundary between token i-1 and token i: punctuation in the original between.
    let boundary_before = |i: usize| {
        if i == 0 {
            return true;
        }
        let toks = plain.tokens();
        let (a, b) = (toks[i - 1].orig.end, toks[i].orig.start);
        chars
            .get(a.min(chars.len())..b.min(chars.len()))
            .is_some_and(|gap| {
                gap.iter()
                    .any(|c| matches!(c, '.' | ',' | ';' | '!' | '?' | ':' | '\n'))
            })
    };
    let mut scores = [0f32; 3];
    let mut cues = Vec::new();
    for m in kept {
        let (_, stance, weight) = CUES[m.phrase()];
        let self_negative = is(m.tok_start(), NEGATORS);
        let mut negated = false;
        if !self_negative {
            let mut i = m.tok_start();
            for _ in 0..NEGATION_GAP {
                if i == 0 || boundary_before(i) {
                    break;
                }
                i -= 1;
                if is(i, NEGATORS) {
                    negated = true;
                    break;
                }
            }
        }
        let contrast = (0..m.tok_start()).any(|i| is(i, CONTRAST));
        let (stance, mut weight) = match (stance, negated) {
            (Stance::Support, true) => (Stance::Oppose, weight),
            (Stance::Oppose, true) => (Stance::Support, NEGATED_OPPOSE_WEIGHT),
            (s, _) => (s, weight),
        };
        if contrast {
            weight *= CONTRAST_BOOST;
        }
        scores[stance.index()] += weight;
        cues.push(Cue {
            stance,
            start: m.start(),
            end: m.end(),
            negated,
            weight,
        });
    }
    let stance = if cues.is_empty() {
        Stance::Suggest
    } else {
        // Ties: oppose, then suggest, then support.
        [Stance::Oppose, Stance::Suggest, Stance::Support]
            .into_iter()
            .fold(None::<Stance>, |best, s| match best {
                Some(b) if scores[b.index()] >= scores[s.index()] => Some(b),
                _ => Some(s),
            })
            .unwrap_or(Stance::Suggest)
    };
    StanceGuess {
        stance,
        scores,
        cues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_negation_and_contrast() {
        assert_eq!(
            classify("Tôi hoàn toàn đồng tình với dự thảo.").stance,
            Stance::Support
        );
        assert_eq!(
            classify("Tôi không đồng tình với quy định này.").stance,
            Stance::Oppose
        );
        assert_eq!(
            classify("toi ko dong y voi muc phi nay").stance,
            Stance::Oppose
        );
        assert_eq!(
            classify("Tôi không phản đối dự thảo.").stance,
            Stance::Support
        );
        assert_eq!(
            classify("Đồng tình, nhưng đề nghị bổ sung quy định về người cao tuổi.").stance,
            Stance::Suggest
        );
        let g = classify("Hôm nay trời đẹp.");
        assert!(g.uncued());
        assert_eq!(g.stance, Stance::Suggest);
        assert_eq!("oppose".parse::<Stance>(), Ok(Stance::Oppose));
        assert!("maybe".parse::<Stance>().is_err());
    }
}
