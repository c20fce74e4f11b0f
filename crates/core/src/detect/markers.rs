//! Pattern detectors driven by the marker phrases of `lexicons/markers.toml`: unverified claims
//! (CS-6), abuse of office (CS-7), confidential documents (CS-10), policy topics and the
//! personal-capacity disclaimer (CS-4), and approval in comments (CS-8).

use crate::finding::{Category, Detection};
use crate::text::{
    slice_chars, CharOffsets, Normalized, PhraseMatch, PhraseMatcher, PlainMatching,
};
use regex::Regex;
use serde::Deserialize;

const MARKERS_TOML: &str = include_str!("../../../../lexicons/markers.toml");

#[derive(Deserialize)]
struct MarkerFile {
    unverified_claim: ClaimMarkers,
    abuse_of_office: OfficeMarkers,
    confidential: SecrecyMarkers,
    policy: PolicyMarkers,
    approval: ApprovalMarkers,
}

#[derive(Deserialize)]
struct ClaimMarkers {
    score: f32,
    phrases: Vec<String>,
    rumours: Vec<String>,
    refuted_before: Vec<String>,
    refuted_after: Vec<String>,
    headline_prefixes: Vec<String>,
    allowed_hosts: Vec<String>,
}

#[derive(Deserialize)]
struct OfficeMarkers {
    score: f32,
    office: Vec<String>,
    pressure: Vec<String>,
    pressure_with_office: Vec<String>,
    pressure_alone_score: f32,
    office_alone_score: f32,
}

#[derive(Deserialize)]
struct SecrecyMarkers {
    score: f32,
    stamps_upper: Vec<String>,
    urgency_stamps: Vec<String>,
    phrases: Vec<String>,
    phrase_score: f32,
    document_number_window: usize,
}

#[derive(Deserialize)]
struct PolicyMarkers {
    min_topics: usize,
    strong: Vec<String>,
    topics: Vec<String>,
    disclaimers: Vec<String>,
    /// Calls not to comply with a decision: about policy on their own.
    noncompliance: Vec<String>,
    /// Verdicts on a policy ("vô lý", "phi lý"): about policy only beside a policy word.
    judgements: Vec<String>,
}

#[derive(Deserialize)]
struct ApprovalMarkers {
    phrases: Vec<String>,
    disagreement: Vec<String>,
}

/// Is this post about policy, and does it say it speaks only for its author?
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyAssessment {
    /// Policy-topic matches (strong ones first); empty when the post is not about policy.
    pub topics: Vec<PhraseMatch>,
    /// The disclaimer found in the text, if any.
    pub disclaimer: Option<PhraseMatch>,
    /// What the post does with the policy beyond naming it, when the markers say: a call not
    /// to comply, or a verdict on it. Only set when the post is about policy.
    pub stance: Option<(PolicyStance, PhraseMatch)>,
}

/// What a post about policy does with it (CS-4: a civil servant doing this must say it is a
/// personal view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyStance {
    /// Urges people not to comply with a decision ("đừng chấp hành", "tẩy chay quy định").
    Noncompliance,
    /// Judges a policy ("quy định vô lý", "chính sách phi lý").
    Judgement,
}

/// A link outside the allow-list of official sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnofficialLink {
    pub url: String,
    /// Char span in the text, when the link was found in the text rather than in `links`.
    pub span: Option<(usize, usize)>,
}

/// The marker lists, each phrase of the combined matcher belongs to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Claim,
    Rumour,
    RefutedBefore,
    RefutedAfter,
    Office,
    Pressure,
    PressureWithOffice,
    Stamp,
    StampFalseFriend,
    Secrecy,
    PolicyStrong,
    PolicyTopic,
    Disclaimer,
    Noncompliance,
    Judgement,
    Approval,
    Disagreement,
}

/// All marker matches of one text, from a single pass over its keys.
pub struct MarkerHits<'a> {
    matches: Vec<PhraseMatch>,
    groups: &'a [Group],
}

impl MarkerHits<'_> {
    fn of(&self, g: Group) -> impl Iterator<Item = &PhraseMatch> + '_ {
        self.matches
            .iter()
            .filter(move |m| self.groups[m.phrase()] == g)
    }

    fn has(&self, g: Group) -> bool {
        self.of(g).next().is_some()
    }

    /// Whether the rumour marker `m` of `text` is named to be refuted: a refutation ends at
    /// most [`REFUTED_BEFORE_GAP`] words before it, in the same clause ("đừng tin tin đồn", not
    /// "Đừng tin, nhưng nghe nói …"), or, for a rumour named as a thing, starts at most
    /// [`REFUTED_AFTER_GAP`] words after it, in the same sentence ("tin đồn … là không chính
    /// xác"). Hearsay verbs take no refutation after them: in "nghe nói số liệu không chính
    /// xác" the hearsay is the claim.
    fn refuted(&self, m: &PhraseMatch, text: &str) -> bool {
        let between = |start: usize, end: usize| slice_chars(text, start, end);
        let before = self.of(Group::RefutedBefore).any(|r| {
            r.tok_end() <= m.tok_start()
                && m.tok_start() - r.tok_end() <= REFUTED_BEFORE_GAP
                && !between(r.end(), m.start()).contains(|c: char| c.is_ascii_punctuation())
        });
        let after = self.groups[m.phrase()] == Group::Rumour
            && self.of(Group::RefutedAfter).any(|r| {
                r.tok_start() >= m.tok_end()
                    && r.tok_start() - m.tok_end() <= REFUTED_AFTER_GAP
                    && !between(m.end(), r.start()).contains(['.', '!', '?', ';', '\n'])
            });
        before || after
    }
}

/// Most tokens between a refutation and the rumour marker after it ("đừng tin vào những tin
/// đồn").
const REFUTED_BEFORE_GAP: usize = 2;
/// Most tokens between a rumour named as a thing and a refutation after it ("tin đồn giá vàng
/// sắp giảm là không chính xác").
const REFUTED_AFTER_GAP: usize = 10;

/// The compiled marker detectors. All phrase lists share one matcher, so a text is scanned
/// once whatever the number of lists.
pub struct MarkerDetector {
    phrases: PhraseMatcher,
    groups: Vec<Group>,
    /// Canonical text of each phrase (for stamps: the capitalised stamp).
    names: Vec<String>,
    claim_score: f32,
    headline: Regex,
    allowed_hosts: Vec<String>,
    url: Regex,
    office_cfg: OfficeMarkers,
    urgency: Vec<String>,
    secrecy_cfg: SecrecyMarkers,
    document_number: Regex,
    policy_min_topics: usize,
}

impl Default for MarkerDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl MarkerDetector {
    pub fn new() -> Self {
        let f: MarkerFile = toml::from_str(MARKERS_TOML)
            .expect("lexicons/markers.toml is valid (checked by tests)");
        let prefixes = f
            .unverified_claim
            .headline_prefixes
            .iter()
            .map(|p| regex::escape(p))
            .collect::<Vec<_>>()
            .join("|");
        let headline = Regex::new(&format!(r"(?im)^[\s\p{{P}}\p{{So}}]*(?:{prefixes})\s*[:!]"))
            .expect("headline regex compiles");
        // "mật" in everyday compounds is not a stamp, whatever its case.
        let false_friends = [
            "bí mật",
            "mật khẩu",
            "mật ong",
            "mật mã",
            "mật thiết",
            "mật độ",
            "mật vụ",
            "mật thám",
            "mật ngọt",
            "mật báo",
            "thân mật",
            "mật đàm",
            "khẩn cấp",
            "khẩn trương",
            "khẩn thiết",
            "khẩn cầu",
        ]
        .map(String::from);
        let lists: [(Group, &[String]); 17] = [
            (Group::Claim, &f.unverified_claim.phrases),
            (Group::Rumour, &f.unverified_claim.rumours),
            (Group::RefutedBefore, &f.unverified_claim.refuted_before),
            (Group::RefutedAfter, &f.unverified_claim.refuted_after),
            (Group::Office, &f.abuse_of_office.office),
            (Group::Pressure, &f.abuse_of_office.pressure),
            (
                Group::PressureWithOffice,
                &f.abuse_of_office.pressure_with_office,
            ),
            (Group::Stamp, &f.confidential.stamps_upper),
            (Group::StampFalseFriend, &false_friends),
            (Group::Secrecy, &f.confidential.phrases),
            (Group::PolicyStrong, &f.policy.strong),
            (Group::PolicyTopic, &f.policy.topics),
            (Group::Disclaimer, &f.policy.disclaimers),
            (Group::Noncompliance, &f.policy.noncompliance),
            (Group::Judgement, &f.policy.judgements),
            (Group::Approval, &f.approval.phrases),
            (Group::Disagreement, &f.approval.disagreement),
        ];
        let mut groups = Vec::new();
        let mut names = Vec::new();
        for (g, list) in lists {
            for p in list {
                groups.push(g);
                names.push(p.clone());
            }
        }
        // Stamps and their false friends are about exact words, never unaccented spellings.
        let phrases = PhraseMatcher::new(names.iter().zip(&groups).map(|(p, g)| {
            let plain = if matches!(g, Group::Stamp | Group::StampFalseFriend) {
                PlainMatching::Forbidden
            } else {
                PlainMatching::Allowed
            };
            (p.as_str(), plain)
        }));
        MarkerDetector {
            phrases,
            groups,
            names,
            claim_score: f.unverified_claim.score,
            headline,
            allowed_hosts: f.unverified_claim.allowed_hosts,
            url: Regex::new(r"(?i)\bhttps?://[^\s<>()\[\]{}]+").expect("url regex compiles"),
            office_cfg: f.abuse_of_office,
            urgency: f.confidential.urgency_stamps.clone(),
            secrecy_cfg: f.confidential,
            document_number: Regex::new(
                r"(?i)\b(?:số|so)\s*[:.]?\s*\d{1,6}(?:/\d{4})?/[\p{Lu}Đ]{1,10}(?:-[\p{Lu}Đ0-9]{1,12}){0,3}",
            )
            .expect("document number regex compiles"),
            policy_min_topics: f.policy.min_topics,
        }
    }

    /// Scans a text once for every marker list.
    pub fn scan(&self, norm: &Normalized) -> MarkerHits<'_> {
        let mut matches = Vec::new();
        self.phrases.find_all(norm, &mut matches);
        MarkerHits {
            matches,
            groups: &self.groups,
        }
    }

    /// Hearsay and rumour markers, and headline prefixes such as "NÓNG:" (CS-6, US-2). A
    /// marker named only to refute the rumour or warn against it does not count
    /// ([`MarkerHits::refuted`]).
    pub fn unverified_claims(&self, text: &str, hits: &MarkerHits, out: &mut Vec<Detection>) {
        let claims = hits.of(Group::Claim).chain(hits.of(Group::Rumour));
        for m in claims.filter(|m| !hits.refuted(m, text)) {
            out.push(Detection {
                category: Category::UnverifiedClaim,
                start: m.start(),
                end: m.end(),
                score: self.claim_score,
                kind: None,
                reason: format!(
                    "rumour marker \"{}\"",
                    slice_chars(text, m.start(), m.end())
                ),
            });
        }
        // A headline prefix ends in ':' or '!': most texts have neither, and skip the regex.
        let headline = if text.contains([':', '!']) {
            self.headline.find(text)
        } else {
            None
        };
        if let Some(h) = headline {
            let off = CharOffsets::new(text);
            let (s, e) = off.span(h.start(), h.end());
            let lead = h
                .as_str()
                .chars()
                .take_while(|c| !c.is_alphanumeric())
                .count();
            out.push(Detection {
                category: Category::UnverifiedClaim,
                start: s + lead,
                end: e,
                score: self.claim_score * 0.8,
                kind: None,
                reason: "sensational headline prefix".into(),
            });
        }
    }

    /// Links in the text or in the item's `links` whose host is not an official source.
    pub fn unofficial_links(&self, text: &str, links: &[String]) -> Vec<UnofficialLink> {
        let mut out = Vec::new();
        if !text.contains("://") && links.is_empty() {
            return out;
        }
        let off = CharOffsets::new(text);
        for m in self.url.find_iter(text) {
            let url = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', '"', '\'']);
            if !self.is_official(url) {
                let (s, _) = off.span(m.start(), m.end());
                out.push(UnofficialLink {
                    url: url.to_string(),
                    span: Some((s, s + url.chars().count())),
                });
            }
        }
        for l in links {
            if !self.is_official(l) && !out.iter().any(|u| &u.url == l) {
                out.push(UnofficialLink {
                    url: l.clone(),
                    span: None,
                });
            }
        }
        out
    }

    fn is_official(&self, url: &str) -> bool {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let host = rest
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("");
        let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        self.allowed_hosts
            .iter()
            .any(|a| host == a || host.ends_with(&format!(".{a}")))
    }

    /// The author invoking an office or power together with pressure (CS-7). Pressure alone
    /// counts, more weakly, only in words that are pressure in anyone's mouth ("liệu hồn",
    /// "phong bì"); everyday ones ("coi chừng", "tôi có quyền") need the office claim.
    pub fn abuse_of_office(&self, text: &str, hits: &MarkerHits, out: &mut Vec<Detection>) {
        let office: Vec<_> = hits.of(Group::Office).collect();
        let mut pressure: Vec<_> = hits.of(Group::Pressure).collect();
        if !office.is_empty() {
            pressure.extend(hits.of(Group::PressureWithOffice));
        }
        let cfg = &self.office_cfg;
        let score = match (office.is_empty(), pressure.is_empty()) {
            (true, true) => return,
            (false, false) => cfg.score,
            (true, false) => cfg.pressure_alone_score,
            (false, true) => cfg.office_alone_score,
        };
        for (m, what) in office
            .iter()
            .map(|m| (*m, "invokes office"))
            .chain(pressure.iter().map(|m| (*m, "pressure")))
        {
            out.push(Detection {
                category: Category::AbuseOfOffice,
                start: m.start(),
                end: m.end(),
                score,
                kind: None,
                reason: format!("{what}: \"{}\"", slice_chars(text, m.start(), m.end())),
            });
        }
    }

    /// Secrecy stamps in capitals, internal-circulation phrases, and document numbers beside
    /// them (CS-10).
    pub fn confidential(&self, text: &str, hits: &MarkerHits, out: &mut Vec<Detection>) {
        let cfg = &self.secrecy_cfg;
        let friends: Vec<_> = hits.of(Group::StampFalseFriend).collect();
        let mut anchors: Vec<(usize, usize)> = Vec::new();
        let mut urgency_only: Vec<(usize, usize)> = Vec::new();
        for m in hits.of(Group::Stamp) {
            let orig = slice_chars(text, m.start(), m.end());
            let upper =
                orig.chars().any(|c| c.is_uppercase()) && !orig.chars().any(|c| c.is_lowercase());
            let inside_friend = friends
                .iter()
                .any(|f| f.start() <= m.start() && m.end() <= f.end());
            if !upper || inside_friend {
                continue;
            }
            let name = &self.names[m.phrase()];
            if self.urgency.contains(name) {
                urgency_only.push((m.start(), m.end()));
                continue;
            }
            anchors.push((m.start(), m.end()));
            out.push(Detection {
                category: Category::Confidential,
                start: m.start(),
                end: m.end(),
                score: cfg.score,
                kind: None,
                reason: format!("secrecy stamp \"{orig}\""),
            });
        }
        for m in hits.of(Group::Secrecy) {
            anchors.push((m.start(), m.end()));
            out.push(Detection {
                category: Category::Confidential,
                start: m.start(),
                end: m.end(),
                score: cfg.phrase_score,
                kind: None,
                reason: format!(
                    "internal-document marker \"{}\"",
                    slice_chars(text, m.start(), m.end())
                ),
            });
        }
        if anchors.is_empty() && urgency_only.is_empty() {
            return;
        }
        let off = CharOffsets::new(text);
        let numbers: Vec<(usize, usize)> = self
            .document_number
            .find_iter(text)
            .map(|m| off.span(m.start(), m.end()))
            .collect();
        let near = |a: &(usize, usize), n: &(usize, usize)| {
            n.0 <= a.1 + cfg.document_number_window && a.0 <= n.1 + cfg.document_number_window
        };
        // An urgency stamp is only an internal-document marker beside a document number.
        for u in &urgency_only {
            if numbers.iter().any(|n| near(u, n)) {
                anchors.push(*u);
                out.push(Detection {
                    category: Category::Confidential,
                    start: u.0,
                    end: u.1,
                    score: cfg.phrase_score,
                    kind: None,
                    reason: format!(
                        "urgency stamp \"{}\" on a document",
                        slice_chars(text, u.0, u.1)
                    ),
                });
            }
        }
        for n in &numbers {
            if anchors.iter().any(|a| near(a, n)) {
                out.push(Detection {
                    category: Category::Confidential,
                    start: n.0,
                    end: n.1,
                    score: cfg.score,
                    kind: None,
                    reason: format!(
                        "document number \"{}\" beside a secrecy marker",
                        slice_chars(text, n.0, n.1)
                    ),
                });
            }
        }
    }

    /// Policy topics and the personal-capacity disclaimer (CS-4).
    ///
    /// A call not to comply ("đừng chấp hành quyết định này") is about policy by itself, and
    /// is put first so the finding points at it. A verdict ("vô lý") counts as one more topic:
    /// with a policy word it makes a policy post ("quy định của Bộ thật vô lý"), alone it does
    /// not ("anh ấy nói thật vô lý").
    pub fn policy(&self, hits: &MarkerHits) -> PolicyAssessment {
        let noncompliance = hits.of(Group::Noncompliance).next().copied();
        let judgement = hits.of(Group::Judgement).next().copied();
        let mut topics: Vec<PhraseMatch> = noncompliance.into_iter().collect();
        topics.extend(hits.of(Group::PolicyStrong).copied());
        let strong = !topics.is_empty();
        let mut distinct: Vec<usize> = hits.of(Group::PolicyTopic).map(|m| m.phrase()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let judged = !distinct.is_empty() && judgement.is_some();
        let about_policy = strong || distinct.len() + usize::from(judged) >= self.policy_min_topics;
        if about_policy {
            topics.extend(hits.of(Group::PolicyTopic).copied());
        }
        let stance = match (noncompliance, judgement) {
            _ if !about_policy => None,
            (Some(m), _) => Some((PolicyStance::Noncompliance, m)),
            (None, Some(m)) => Some((PolicyStance::Judgement, m)),
            (None, None) => None,
        };
        PolicyAssessment {
            topics,
            disclaimer: hits.of(Group::Disclaimer).next().copied(),
            stance,
        }
    }

    /// Whether a comment approves of what it answers (CS-8): an approval phrase and no sign of
    /// disagreement.
    pub fn approves(&self, hits: &MarkerHits) -> bool {
        hits.has(Group::Approval) && !hits.has(Group::Disagreement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        f: impl Fn(&MarkerDetector, &str, &MarkerHits, &mut Vec<Detection>),
        text: &str,
    ) -> Vec<String> {
        let d = MarkerDetector::new();
        let mut out = Vec::new();
        let norm = Normalized::new(text);
        f(&d, text, &d.scan(&norm), &mut out);
        out.iter()
            .filter(|x| x.score >= 0.5)
            .map(|x| slice_chars(text, x.start, x.end).to_string())
            .collect()
    }

    #[test]
    fn finds_rumour_markers_and_headlines() {
        let f = |d: &MarkerDetector, t: &str, n: &MarkerHits, o: &mut Vec<Detection>| {
            d.unverified_claims(t, n, o)
        };
        assert_eq!(run(f, "Nghe nói sắp tăng giá xăng"), vec!["Nghe nói"]);
        assert_eq!(run(f, "🔥 NÓNG: cháy lớn ở quận 1"), vec!["NÓNG:"]);
        assert_eq!(run(f, "nghe noi sap tang gia"), vec!["nghe noi"]);
        assert!(run(f, "Trời hôm nay nóng quá: 40 độ").is_empty());
        assert!(run(f, "Tôi nghe nhạc và nói chuyện").is_empty());
    }

    #[test]
    fn flags_links_outside_the_allow_list() {
        let d = MarkerDetector::new();
        let text = "Xem https://chinhphu.vn/a và https://tinhot24h.xyz/b.";
        let got = d.unofficial_links(
            text,
            &["https://moh.gov.vn/x".into(), "http://abc.com".into()],
        );
        let urls: Vec<_> = got.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(urls, vec!["https://tinhot24h.xyz/b", "http://abc.com"]);
        let (s, e) = got[0].span.unwrap();
        assert_eq!(slice_chars(text, s, e), "https://tinhot24h.xyz/b");
        assert!(
            d.unofficial_links("", &["https://evilgov.vn.example.com".into()])
                .len()
                == 1
        );
    }

    #[test]
    fn abuse_of_office_needs_power_and_pressure() {
        let f = |d: &MarkerDetector, t: &str, n: &MarkerHits, o: &mut Vec<Detection>| {
            d.abuse_of_office(t, n, o)
        };
        let got = run(f, "Tôi là trưởng phòng, liệu hồn mà dọn quán đi");
        assert_eq!(got, vec!["Tôi là trưởng phòng", "liệu hồn"]);
        let got = run(
            f,
            "Mày có biết tao là ai không? Tao sẽ cho thanh tra quán mày",
        );
        assert!(got.iter().any(|g| g == "cho thanh tra"), "{got:?}");
        assert!(got.iter().any(|g| g.contains("tao là ai")), "{got:?}");
        assert!(run(f, "Tôi là trưởng phòng kế toán của công ty").is_empty());
    }

    #[test]
    fn confidential_stamps_are_capitals_beside_numbers() {
        let f = |d: &MarkerDetector, t: &str, n: &MarkerHits, o: &mut Vec<Detection>| {
            d.confidential(t, n, o)
        };
        let got = run(f, "MẬT\nSố: 12/QĐ-UBND về việc điều động cán bộ");
        assert_eq!(got, vec!["MẬT", "Số: 12/QĐ-UBND"]);
        assert_eq!(
            run(f, "Tài liệu này lưu hành nội bộ"),
            vec!["lưu hành nội bộ"]
        );
        assert!(run(f, "Mua mật ong rừng, mật khẩu wifi là 123").is_empty());
        assert!(run(f, "ĐÂY LÀ BÍ MẬT CỦA CHÚNG TA").is_empty());
        assert!(run(f, "Theo Quyết định số 874/QĐ-BTTTT ngày 17/6/2021").is_empty());
        assert!(run(f, "KHẨN CẤP: cần máu nhóm O").is_empty());
        assert_eq!(
            run(f, "HỎA TỐC\nSố 45/CV-UBND"),
            vec!["HỎA TỐC", "Số 45/CV-UBND"]
        );
    }

    fn policy(d: &MarkerDetector, n: &Normalized) -> PolicyAssessment {
        d.policy(&d.scan(n))
    }

    fn approves(d: &MarkerDetector, n: &Normalized) -> bool {
        d.approves(&d.scan(n))
    }

    #[test]
    fn policy_posts_and_disclaimers() {
        let d = MarkerDetector::new();
        let a = policy(
            &d,
            &Normalized::new("Nghị định mới về học phí thật bất hợp lý"),
        );
        assert!(!a.topics.is_empty() && a.disclaimer.is_none());
        let a = policy(
            &d,
            &Normalized::new(
                "Chính sách thuế mới — đây là ý kiến cá nhân, không đại diện cho cơ quan",
            ),
        );
        assert!(!a.topics.is_empty() && a.disclaimer.is_some());
        assert!(policy(&d, &Normalized::new("Hôm nay trời đẹp, đi ăn phở"))
            .topics
            .is_empty());
        assert!(policy(&d, &Normalized::new("Quy định của chung cư"))
            .topics
            .is_empty());
    }

    #[test]
    fn approval_in_comments() {
        let d = MarkerDetector::new();
        assert!(approves(&d, &Normalized::new("Chuẩn quá, share ngay")));
        assert!(!approves(&d, &Normalized::new("Tin giả đấy, đừng share")));
        assert!(!approves(&d, &Normalized::new("Hôm nay tôi đi học")));
    }
}
