//! The engine: runs the detectors on an item, judges what they found against the active rule
//! pack, and returns a [`CheckResult`] — label, verdict and explained findings.
//!
//! [`Engine::check`] looks at one item alone, so items can be checked in parallel. Rules that
//! relate an item to earlier ones (CS-8: endorsing harmful content) are applied afterwards, in
//! input order, by [`EngagementLog::resolve`].

use crate::classifier::{Classifier, Prediction, SpanModel};
use crate::detect::lexicon::LexiconDetector;
use crate::detect::markers::{MarkerDetector, PolicyStance};
use crate::detect::personal_data::PersonalDataDetector;
use crate::finding::{Category, Detection, Finding, Label, Severity, Verdict};
use crate::identity::name;
use crate::identity::workplace;
use crate::item::{EngagementKind, Item, Post, Profile};
use crate::rules::{Rule, RulePack};
use crate::text::{slice_chars, Normalized};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

/// The result of checking one item (CONTRACT.md, section 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CheckResult {
    pub id: String,
    #[serde(rename = "type")]
    pub item_type: &'static str,
    /// Posts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Present, and `true`, when the findings or their evidence were cut to the check limits
    /// (`CheckLimits`: the most severe findings kept, long evidence cut); the verdict and
    /// label are still those of every finding.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "schema", schema(required = false))]
    pub truncated: bool,
}

impl CheckResult {
    /// Content that others must not endorse (CS-8): a violation, or a rumour.
    pub fn is_harmful(&self) -> bool {
        self.verdict == Verdict::Violation
            || self
                .findings
                .iter()
                .any(|f| f.category == Category::UnverifiedClaim && f.severity >= Severity::Review)
    }
}

/// Everything needed to check items against one rule pack. Cheap to share across threads.
pub struct Engine {
    pack: RulePack,
    lexicon: &'static LexiconDetector,
    classifier: &'static Classifier,
    spans: &'static SpanModel,
    personal: PersonalDataDetector,
    markers: MarkerDetector,
}

/// Score of a missing-disclaimer detection: higher when a strong policy marker (a decree, a
/// resolution) is named.
const DISCLAIMER_SCORE_STRONG: f32 = 0.8;
const DISCLAIMER_SCORE: f32 = 0.6;
/// Most findings of the models on one post: their stretches, best first. Ten rather than
/// three: on the two halves of ViHOS train, each scored by models trained without it, ten
/// raised the span F1 of `check` from 0.787 per text and 0.480 pooled to 0.790 and 0.506
/// (means of the halves; `models/README.md`).
const MAX_MODEL_STRETCHES: usize = 10;
/// The span model's threshold for a word of a post already flagged (by the classifier or the
/// detectors), or the model's own when that is lower. The model's own threshold was chosen for
/// a word of any post; in a post known to be abusive, more of its words are. On the two halves
/// of ViHOS train, each scored by models trained without it, the span F1 of `check` (per text,
/// pooled; means of the halves) was 0.805 / 0.561 at the models' own thresholds (0.40 and
/// 0.45), 0.805 / 0.565 at 0.40, 0.805 / 0.571 at 0.35, 0.804 / 0.574 at 0.30 and 0.802 / 0.573
/// at 0.25; 0.30 has the best mean of the two (`models/README.md`).
const FLAGGED_POST_WORD_THRESHOLD: f32 = 0.30;
/// Score of a link outside the allow-list: enough for review, never more.
const UNOFFICIAL_LINK_SCORE: f32 = 0.5;

impl Engine {
    pub fn new(pack: RulePack) -> Self {
        Engine {
            pack,
            lexicon: LexiconDetector::builtin(),
            classifier: Classifier::builtin(),
            spans: SpanModel::builtin(),
            personal: PersonalDataDetector::new(),
            markers: MarkerDetector::new(),
        }
    }

    /// The same engine with another text classifier (a model trained by `quytac train`, for
    /// evaluation) in place of the shipped one.
    pub fn with_classifier(self, classifier: &'static Classifier) -> Self {
        Engine { classifier, ..self }
    }

    /// The same engine with another span model (one trained by `quytac train-spans`, for
    /// evaluation) in place of the shipped one.
    pub fn with_span_model(self, spans: &'static SpanModel) -> Self {
        Engine { spans, ..self }
    }

    pub fn pack(&self) -> &RulePack {
        &self.pack
    }

    /// Checks one item on its own.
    pub fn check(&self, item: &Item) -> CheckResult {
        self.check_with(item, None)
    }

    /// Checks one item, with what the caller found about a profile's photo (ignored for
    /// posts). The core reads no files: the CLI and the service decode and check the photo
    /// (`quytac-photo`) and pass the outcome here, and the pack decides what it means.
    pub fn check_with(&self, item: &Item, photo: Option<&PhotoCheck>) -> CheckResult {
        match item {
            Item::Post(p) => {
                let (findings, label) = self.check_post(p);
                CheckResult {
                    id: p.id.clone(),
                    item_type: "post",
                    label: Some(label),
                    verdict: Verdict::of(&findings),
                    findings,
                    truncated: false,
                }
            }
            Item::Profile(p) => {
                let findings = self.check_profile(p, photo);
                CheckResult {
                    id: p.id.clone(),
                    item_type: "profile",
                    label: None,
                    verdict: Verdict::of(&findings),
                    findings,
                    truncated: false,
                }
            }
        }
    }

    /// Every detector's raw output on a text, before thresholds and rules: what `quytac eval`
    /// measures and `quytac redact` masks.
    /// `text` with the personal data found (at the pack's threshold) masked: what `quytac
    /// redact` prints and what the service publishes of citizens' texts (AG-5).
    pub fn mask_personal_data(&self, text: &str) -> String {
        let mut found = Vec::new();
        self.personal.detect(text, &mut found);
        let threshold = self.pack.threshold(Category::PersonalData);
        found.retain(|d| d.category == Category::PersonalData && d.score >= threshold);
        crate::redact::redact(text, &found)
    }

    pub fn detect(&self, text: &str) -> Vec<Detection> {
        let norm = Normalized::new(text);
        let mut dets = Vec::new();
        self.detect_text(text, &norm, &mut dets);
        dets
    }

    fn detect_text(&self, text: &str, norm: &Normalized, dets: &mut Vec<Detection>) {
        self.lexicon.detect(norm, dets);
        self.personal.detect(text, dets);
        let hits = self.markers.scan(norm);
        self.markers.unverified_claims(text, &hits, dets);
        self.markers.abuse_of_office(text, &hits, dets);
        self.markers.confidential(text, &hits, dets);
        let policy = self.markers.policy(&hits);
        if let (Some(first), None) = (policy.topics.first(), policy.disclaimer) {
            let strong = policy.topics.len() == 1 || first.phrase() != policy.topics[1].phrase();
            dets.push(Detection {
                category: Category::MissingDisclaimer,
                start: first.start(),
                end: first.end(),
                score: if strong {
                    DISCLAIMER_SCORE_STRONG
                } else {
                    DISCLAIMER_SCORE
                },
                kind: None,
                reason: match policy.stance {
                    Some((PolicyStance::Noncompliance, m)) => format!(
                        "urges people not to comply (\"{}\") without saying it is a personal view",
                        slice_chars(text, m.start(), m.end())
                    ),
                    Some((PolicyStance::Judgement, m)) => format!(
                        "judges a policy (\"{}\") without saying it is a personal view",
                        slice_chars(text, m.start(), m.end())
                    ),
                    None => format!(
                        "about policy (\"{}\") without saying it is a personal view",
                        slice_chars(text, first.start(), first.end())
                    ),
                },
            });
        }
    }

    fn check_post(&self, p: &Post) -> (Vec<Finding>, Label) {
        let role = p.author.role;
        let norm = Normalized::new(&p.text);
        let mut dets = Vec::new();
        self.detect_text(&p.text, &norm, &mut dets);
        if p.author.disclaimer {
            dets.retain(|d| d.category != Category::MissingDisclaimer);
        }
        let dets = merge_overlapping(dets);
        let dets: Vec<Detection> = dets
            .into_iter()
            .filter(|d| d.score >= self.pack.threshold(d.category))
            .collect();
        let (prediction, read) = self.predict_literal_aware(&norm);
        let thresholds = self.pack.classifier.unwrap_or(prediction.thresholds);
        let model_label = prediction.label_with(&thresholds);
        let label = model_label.max(label_of(&dets));
        let model_dets =
            self.classifier_detections(&p.text, &norm, &read, &prediction, model_label, &dets);
        let mut findings: Vec<Finding> = dets
            .iter()
            .filter_map(|d| {
                let rule = self.pack.rule_for(role, d.category)?;
                let evidence = slice_chars(&p.text, d.start, d.end).to_string();
                Some(
                    finding(
                        rule,
                        d.category,
                        rule.severity_for(d.category),
                        Some((d.start, d.end)),
                        evidence,
                        d.score,
                        &d.reason,
                    )
                    .with_kind(d.kind),
                )
            })
            .collect();
        // The models' findings are estimates, and say so in both languages.
        for (d, note_vi) in model_dets {
            if let Some(rule) = self.pack.rule_for(role, d.category) {
                let mut f = finding(
                    rule,
                    d.category,
                    rule.severity_for(d.category),
                    Some((d.start, d.end)),
                    slice_chars(&p.text, d.start, d.end).to_string(),
                    d.score,
                    &d.reason,
                );
                f.message_vi = format!("{} ({note_vi})", rule.message_vi);
                findings.push(f);
            }
        }
        if let Some(rule) = self.pack.rule_for(role, Category::UnverifiedClaim) {
            if UNOFFICIAL_LINK_SCORE >= self.pack.threshold(Category::UnverifiedClaim) {
                for link in self.markers.unofficial_links(&p.text, &p.links) {
                    findings.push(finding(
                        rule,
                        Category::UnverifiedClaim,
                        rule.severity_for(Category::UnverifiedClaim),
                        link.span,
                        link.url.clone(),
                        UNOFFICIAL_LINK_SCORE,
                        "link to a source outside the allow-list of official sources",
                    ));
                }
            }
        }
        findings.sort_by_key(|f| (f.start.unwrap_or(usize::MAX), f.end));
        (findings, label)
    }

    /// The classifier's prediction, read without the stretches that the lexicons know in a
    /// harmless sense when those would tip it. The model knows words, not senses: it reads
    /// "Con chó nhà tôi rất khôn" (a pet) as abuse and "Đảng Cộng sản Việt Nam" (a party named
    /// plainly) as hate. The lexicons' false friends say which stretches mean what they say, so
    /// a post the model flags is read again without them. Clean posts, most of them, pay
    /// nothing; a false friend never hides a longer abusive phrase around it, so "lũ chó" in
    /// the same post still counts. Returns the prediction with the text as it was read, which
    /// is where the evidence of a finding is then looked for: a party's name is never the
    /// stretch that "drove the score".
    fn predict_literal_aware<'a>(&self, norm: &'a Normalized) -> (Prediction, Cow<'a, Normalized>) {
        let prediction = self.classifier.predict(norm);
        let thresholds = self.pack.classifier.unwrap_or(prediction.thresholds);
        if prediction.label_with(&thresholds) == Label::Clean {
            return (prediction, Cow::Borrowed(norm));
        }
        let literal = self.lexicon.literal_senses(norm);
        if literal.is_empty() {
            return (prediction, Cow::Borrowed(norm));
        }
        let read = norm.without_tokens(&literal);
        (self.classifier.predict(&read), Cow::Owned(read))
    }

    /// The models' findings in a flagged post: the stretches of abusive words in it, best
    /// first, at most [`MAX_MODEL_STRETCHES`], none over a detector's finding of the same
    /// weight, each with its note in Vietnamese.
    ///
    /// - When the classifier labels the post offensive or hate, the stretches are those of
    ///   the span model ([`SpanModel`], trained on the words annotators marked: the words
    ///   reaching [`FLAGGED_POST_WORD_THRESHOLD`], a stretch stopping at a word a detector
    ///   reports), or, when it marks no word beside the detectors' findings, those of the
    ///   classifier's own token attributions (one over a detector's finding is left out), so
    ///   that a post the classifier flags always shows where. Their score is the class's calibrated
    ///   probability; the decision was made with the pack's classifier thresholds.
    /// - When only the detectors found abusive language, the span model's stretches show the
    ///   other abusive words around what they found, as offence scored by the span model.
    /// - Otherwise there are none: the span model places evidence, it does not judge (alone,
    ///   it flags plain posts; trained with clean comments too, it lowered the product's
    ///   macro-F1; `models/README.md`).
    ///
    /// Chosen on the two halves of ViHOS train, each scored by models trained without it
    /// (means of the halves; `models/README.md`): the span model's stretches in posts the
    /// classifier flags raised the span F1 of `check` from 0.779 per text and 0.453 pooled to
    /// 0.787 and 0.480; in posts only the detectors flag, further to 0.800 and 0.541.
    ///
    /// `norm` is the post's text and `read` the text as the classifier read it
    /// ([`Engine::predict_literal_aware`]): the groups named are looked for in the first, the
    /// stretches in the second.
    fn classifier_detections(
        &self,
        text: &str,
        norm: &Normalized,
        read: &Normalized,
        prediction: &Prediction,
        model_label: Label,
        dets: &[Detection],
    ) -> Vec<(Detection, String)> {
        let abusive = prediction.probs[1] + prediction.probs[2];
        // Hate, as the rules use the word, attacks a group or an identity. The label follows
        // ViHSD, whose "hate" also covers abuse of one person; the finding does not: a post the
        // model calls hate that names no group is reported as offence ("ngu như bò"). `None`
        // for a post only the detectors flag.
        let judged = match model_label {
            Label::Clean if dets.iter().any(|d| d.category.is_abusive_language()) => None,
            Label::Clean => return Vec::new(),
            Label::Hate if self.lexicon.names_a_group(norm) => {
                Some((Category::Hate, prediction.probs[2]))
            }
            Label::Offensive | Label::Hate => Some((Category::Offensive, abusive)),
        };
        let category = judged.map_or(Category::Offensive, |(c, _)| c);
        // A detector's finding that already says as much (hate for hate, any abusive language
        // for offence) over the same text.
        let reported = |start: usize, end: usize| {
            dets.iter().any(|d| {
                let covers = match category {
                    Category::Hate => d.category.is_hateful(),
                    _ => d.category.is_abusive_language(),
                };
                covers && d.start < end && start < d.end
            })
        };
        // A post the classifier read as clean was read whole: the span model reads it, too,
        // without the words the lexicons know in a harmless sense ("con chó nhà tôi").
        let literal = match judged {
            None => self.lexicon.literal_senses(norm),
            Some(_) => Vec::new(),
        };
        let read = match literal.is_empty() {
            true => Cow::Borrowed(read),
            false => Cow::Owned(norm.without_tokens(&literal)),
        };
        // The span model's stretches around the words a detector reports, or, in a post the
        // classifier flags, its attributions when the span model marks none.
        let threshold = FLAGGED_POST_WORD_THRESHOLD.min(self.spans.threshold());
        let (stretches, marked) = match self.spans.stretches_from(&read, threshold, reported) {
            s if s.is_empty() && judged.is_some() => {
                (self.classifier.attribute(&read, model_label), false)
            }
            s => (s, true),
        };
        stretches
            .into_iter()
            .take(MAX_MODEL_STRETCHES)
            .enumerate()
            .filter(|(_, a)| !reported(a.start, a.end))
            .map(|(rank, a)| {
                let stretch = slice_chars(text, a.start, a.end);
                let best = rank == 0;
                let (why_en, why_vi) = match (marked, best) {
                    (true, true) => (
                        format!("reads most likely as the abusive words (span model: probability {:.2})", a.weight),
                        format!("nhiều khả năng là lời lẽ xúc phạm nhất (mô hình đánh dấu từ ngữ: xác suất {:.2})", a.weight),
                    ),
                    (true, false) => (
                        format!("also reads as abusive words (span model: probability {:.2})", a.weight),
                        format!("cũng có thể là lời lẽ xúc phạm (mô hình đánh dấu từ ngữ: xác suất {:.2})", a.weight),
                    ),
                    (false, true) => ("drove the score most".into(), "ảnh hưởng nhiều nhất".into()),
                    (false, false) => ("also drove the score".into(), "cũng góp phần".into()),
                };
                let (score, reason, note_vi) = match judged {
                    Some((_, score)) => (
                        score,
                        format!(
                            "the text classifier's estimate, not a finding of fact: probability {score:.2} that the post is {}; \"{stretch}\" {why_en}",
                            category.as_str(),
                        ),
                        format!(
                            "ước tính của mô hình phân loại, không phải kết luận: xác suất {score:.2} là {}; đoạn «{stretch}» {why_vi}",
                            category.name_vi(),
                        ),
                    ),
                    None => (
                        a.weight,
                        format!(
                            "the span model's estimate, not a finding of fact, in a post the detectors found abusive: \"{stretch}\" {why_en}"
                        ),
                        format!(
                            "ước tính của mô hình đánh dấu từ ngữ, không phải kết luận, trong bài viết mà bộ phát hiện đã thấy lời lẽ xúc phạm: đoạn «{stretch}» {why_vi}"
                        ),
                    ),
                };
                let detection = Detection {
                    category,
                    start: a.start,
                    end: a.end,
                    score,
                    kind: None,
                    reason,
                };
                (detection, note_vi)
            })
            .collect()
    }

    fn check_profile(&self, p: &Profile, photo: Option<&PhotoCheck>) -> Vec<Finding> {
        let mut out = Vec::new();
        let role = p.role;
        if let Some(rule) = self.pack.rule_for(role, Category::RealName) {
            let display = p.display_name.as_deref().unwrap_or("");
            // Against the legal name when it is known, else the display name on its own.
            let problem = name::check_name(display, p.legal_name.as_deref());
            if let Some(problem) = problem {
                out.push(field_finding(
                    rule,
                    Category::RealName,
                    rule.severity,
                    display,
                    &problem.describe(),
                ));
            }
        }
        if let Some(rule) = self.pack.rule_for(role, Category::RealPhoto) {
            let path = p.photo.as_deref().unwrap_or("").trim();
            // Photo problems carry their reason in both languages.
            let mut photo_finding = |reason_en: &str, reason_vi: &str| {
                let mut f =
                    field_finding(rule, Category::RealPhoto, rule.severity, path, reason_en);
                f.message_vi = format!("{} ({reason_vi}: «{path}»)", rule.message_vi);
                out.push(f)
            };
            match photo {
                _ if path.is_empty() => photo_finding("no profile photo", "chưa có ảnh đại diện"),
                None => {}
                Some(PhotoCheck::Unreadable(why)) => photo_finding(
                    &format!("the profile photo cannot be checked: {why}"),
                    "không kiểm tra được ảnh đại diện",
                ),
                Some(PhotoCheck::Checked(problems)) => {
                    for problem in problems {
                        photo_finding(
                            &format!("{} [{}]", problem.message_en, problem.code),
                            &problem.message_vi,
                        );
                    }
                }
            }
        }
        if let Some(rule) = self.pack.rule_for(role, Category::Workplace) {
            let wp = p.workplace.as_deref().unwrap_or("").trim();
            let review = rule.severity.min(Severity::Review);
            if wp.is_empty() {
                out.push(field_finding(
                    rule,
                    Category::Workplace,
                    rule.severity,
                    "",
                    "no workplace named",
                ));
            } else if !workplace::names_agency(wp) {
                out.push(field_finding(
                    rule,
                    Category::Workplace,
                    review,
                    wp,
                    "the workplace does not name a state agency",
                ));
            } else if p.vouched_by.as_deref().is_none_or(|v| v.trim().is_empty()) {
                out.push(field_finding(
                    rule,
                    Category::Workplace,
                    review,
                    wp,
                    "no agency vouches for this account",
                ));
            }
        }
        out
    }
}

/// What the caller found about a profile's photo (CS-2), for [`Engine::check_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoCheck {
    /// The photo was decoded and checked: the problems found, none when it shows one real face
    /// of a reasonable size.
    Checked(Vec<PhotoProblem>),
    /// The photo could not be checked (a missing or unreadable file, an oversize image, a
    /// decompression bomb, not an image): why, in English.
    Unreadable(String),
}

/// One problem of a profile photo: a stable code (`no_face`, `logo`, `several_faces`, …) and
/// its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoProblem {
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

/// The ViHSD label from detections: hate when any hateful category fired, offensive when
/// vulgarity did, else clean.
fn label_of(dets: &[Detection]) -> Label {
    if dets.iter().any(|d| d.category.is_hateful()) {
        Label::Hate
    } else if dets.iter().any(|d| d.category == Category::Offensive) {
        Label::Offensive
    } else {
        Label::Clean
    }
}

/// Merges overlapping detections of the same category and kind into one (their union span,
/// the best score and its reason), so that "địt" inside "địt mẹ mày" is one finding.
fn merge_overlapping(mut dets: Vec<Detection>) -> Vec<Detection> {
    dets.sort_by(|a, b| {
        (a.category, a.kind, a.start)
            .cmp(&(b.category, b.kind, b.start))
            .then(b.end.cmp(&a.end))
    });
    let mut out: Vec<Detection> = Vec::with_capacity(dets.len());
    for d in dets {
        if let Some(last) = out.last_mut() {
            if last.category == d.category && last.kind == d.kind && d.start < last.end {
                last.end = last.end.max(d.end);
                if d.score > last.score {
                    last.score = d.score;
                    last.reason = d.reason;
                }
                continue;
            }
        }
        out.push(d);
    }
    out
}

fn finding(
    rule: &Rule,
    category: Category,
    severity: Severity,
    span: Option<(usize, usize)>,
    evidence: String,
    score: f32,
    reason: &str,
) -> Finding {
    let message_vi = if evidence.is_empty() {
        format!("{} ({})", rule.message_vi, category.name_vi())
    } else {
        format!(
            "{} ({}: «{}»)",
            rule.message_vi,
            category.name_vi(),
            evidence
        )
    };
    Finding {
        rule: rule.id.clone(),
        category,
        severity,
        start: span.map(|s| s.0),
        end: span.map(|s| s.1),
        evidence,
        kind: None,
        score,
        message_vi,
        message_en: format!("{} ({reason})", rule.message_en),
    }
}

/// A finding about a profile field or a missing record: no span.
fn field_finding(
    rule: &Rule,
    category: Category,
    severity: Severity,
    evidence: &str,
    reason: &str,
) -> Finding {
    finding(
        rule,
        category,
        severity,
        None,
        evidence.to_string(),
        1.0,
        reason,
    )
}

impl Finding {
    fn with_kind(mut self, kind: Option<crate::finding::PersonalDataKind>) -> Self {
        self.kind = kind;
        self
    }
}

/// The memory of earlier items that CS-8 needs: which ids were harmful. Bounded, so that a
/// stream of any length runs in constant memory; the oldest ids are forgotten first.
pub struct EngagementLog {
    harmful: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

/// How many harmful item ids [`EngagementLog::default`] remembers.
pub const DEFAULT_ENGAGEMENT_MEMORY: usize = 1_000_000;

impl Default for EngagementLog {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_ENGAGEMENT_MEMORY)
    }
}

impl EngagementLog {
    pub fn with_capacity(capacity: usize) -> Self {
        EngagementLog {
            harmful: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Applies CS-8 to `result` (the check of `item`, in input order) and remembers whether
    /// `item` is harmful for the items after it.
    pub fn resolve(&mut self, engine: &Engine, item: &Item, result: &mut CheckResult) {
        if let Item::Post(p) = item {
            if let Some(e) = &p.engages {
                if self.harmful.contains(&e.target_id) {
                    if let Some(f) = engine.endorsement(p, e.kind) {
                        result.findings.push(f);
                        result.verdict = Verdict::of(&result.findings);
                    }
                }
            }
        }
        if result.is_harmful() && !self.harmful.contains(&result.id) {
            if self.order.len() == self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.harmful.remove(&old);
                }
            }
            self.harmful.insert(result.id.clone());
            self.order.push_back(result.id.clone());
        }
    }
}

impl Engine {
    /// The CS-8 finding for a post that engages harmful content, if its author is bound by a
    /// rule on it and the engagement approves (a like, a share, or an approving comment).
    fn endorsement(&self, p: &Post, kind: EngagementKind) -> Option<Finding> {
        let rule = self
            .pack
            .rule_for(p.author.role, Category::EndorsesHarmful)?;
        let target = &p.engages.as_ref()?.target_id;
        let how = match kind {
            EngagementKind::Like => "likes",
            EngagementKind::Share => "shares",
            EngagementKind::Comment => {
                let norm = Normalized::new(&p.text);
                if !self.markers.approves(&self.markers.scan(&norm)) {
                    return None;
                }
                "approves in a comment on"
            }
        };
        Some(finding(
            rule,
            Category::EndorsesHarmful,
            rule.severity,
            None,
            target.clone(),
            0.9,
            &format!("{how} item {target}, which has a violation or rumour finding"),
        ))
    }
}
