//! The vocabulary every detector and rule speaks: categories, severities, personal-data kinds,
//! raw detections (what a detector saw) and findings (a detection judged against a rule).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The closed list of finding categories of the public contract (CONTRACT.md, section 1).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Offensive,
    Hate,
    Violence,
    RegionalDiscrimination,
    GenderDiscrimination,
    ReligiousDiscrimination,
    PersonalData,
    Confidential,
    MissingDisclaimer,
    UnverifiedClaim,
    AbuseOfOffice,
    EndorsesHarmful,
    RealName,
    RealPhoto,
    Workplace,
    UnverifiedPage,
    ResponsiblePerson,
    PortalInconsistency,
    ResponseOverdue,
}

impl Category {
    pub const ALL: [Category; 19] = [
        Category::Offensive,
        Category::Hate,
        Category::Violence,
        Category::RegionalDiscrimination,
        Category::GenderDiscrimination,
        Category::ReligiousDiscrimination,
        Category::PersonalData,
        Category::Confidential,
        Category::MissingDisclaimer,
        Category::UnverifiedClaim,
        Category::AbuseOfOffice,
        Category::EndorsesHarmful,
        Category::RealName,
        Category::RealPhoto,
        Category::Workplace,
        Category::UnverifiedPage,
        Category::ResponsiblePerson,
        Category::PortalInconsistency,
        Category::ResponseOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Offensive => "offensive",
            Category::Hate => "hate",
            Category::Violence => "violence",
            Category::RegionalDiscrimination => "regional_discrimination",
            Category::GenderDiscrimination => "gender_discrimination",
            Category::ReligiousDiscrimination => "religious_discrimination",
            Category::PersonalData => "personal_data",
            Category::Confidential => "confidential",
            Category::MissingDisclaimer => "missing_disclaimer",
            Category::UnverifiedClaim => "unverified_claim",
            Category::AbuseOfOffice => "abuse_of_office",
            Category::EndorsesHarmful => "endorses_harmful",
            Category::RealName => "real_name",
            Category::RealPhoto => "real_photo",
            Category::Workplace => "workplace",
            Category::UnverifiedPage => "unverified_page",
            Category::ResponsiblePerson => "responsible_person",
            Category::PortalInconsistency => "portal_inconsistency",
            Category::ResponseOverdue => "response_overdue",
        }
    }

    /// A short Vietnamese name of the category, for messages.
    pub fn name_vi(self) -> &'static str {
        match self {
            Category::Offensive => "ngôn từ thiếu văn hóa",
            Category::Hate => "ngôn từ gây thù hận",
            Category::Violence => "kích động bạo lực",
            Category::RegionalDiscrimination => "phân biệt vùng miền",
            Category::GenderDiscrimination => "phân biệt giới tính",
            Category::ReligiousDiscrimination => "phân biệt tôn giáo",
            Category::PersonalData => "dữ liệu cá nhân",
            Category::Confidential => "thông tin nội bộ",
            Category::MissingDisclaimer => "thiếu tuyên bố ý kiến cá nhân",
            Category::UnverifiedClaim => "thông tin chưa kiểm chứng",
            Category::AbuseOfOffice => "lạm dụng chức vụ",
            Category::EndorsesHarmful => "đồng tình với thông tin xấu",
            Category::RealName => "tên thật",
            Category::RealPhoto => "ảnh thật",
            Category::Workplace => "cơ quan công tác",
            Category::UnverifiedPage => "trang chưa xác thực",
            Category::ResponsiblePerson => "người chịu trách nhiệm",
            Category::PortalInconsistency => "không nhất quán với cổng thông tin",
            Category::ResponseOverdue => "phản hồi quá hạn",
        }
    }

    /// Abusive language: vulgarity and the hateful categories. The categories the lexicons
    /// assign and ViHOS annotates as spans.
    pub fn is_abusive_language(self) -> bool {
        self == Category::Offensive || self.is_hateful()
    }

    /// Categories that make a post's ViHSD label `hate` rather than `offensive`.
    pub fn is_hateful(self) -> bool {
        matches!(
            self,
            Category::Hate
                | Category::Violence
                | Category::RegionalDiscrimination
                | Category::GenderDiscrimination
                | Category::ReligiousDiscrimination
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category `{s}`"))
    }
}

/// How serious a finding is. Ordered: `Info < Review < Violation`.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Advice; does not change the verdict from `pass`.
    Info,
    /// A person should look.
    Review,
    /// Breaks the rule.
    Violation,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Review => "review",
            Severity::Violation => "violation",
        }
    }
}

/// The kinds of personal data of the contract (`kind` of a `personal_data` finding).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalDataKind {
    Cccd,
    Cmnd,
    Phone,
    Email,
    TaxCode,
    BankAccount,
    BankCard,
    Plate,
    Passport,
    Address,
    Dob,
}

impl PersonalDataKind {
    pub const ALL: [PersonalDataKind; 11] = [
        PersonalDataKind::Cccd,
        PersonalDataKind::Cmnd,
        PersonalDataKind::Phone,
        PersonalDataKind::Email,
        PersonalDataKind::TaxCode,
        PersonalDataKind::BankAccount,
        PersonalDataKind::BankCard,
        PersonalDataKind::Plate,
        PersonalDataKind::Passport,
        PersonalDataKind::Address,
        PersonalDataKind::Dob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonalDataKind::Cccd => "cccd",
            PersonalDataKind::Cmnd => "cmnd",
            PersonalDataKind::Phone => "phone",
            PersonalDataKind::Email => "email",
            PersonalDataKind::TaxCode => "tax_code",
            PersonalDataKind::BankAccount => "bank_account",
            PersonalDataKind::BankCard => "bank_card",
            PersonalDataKind::Plate => "plate",
            PersonalDataKind::Passport => "passport",
            PersonalDataKind::Address => "address",
            PersonalDataKind::Dob => "dob",
        }
    }
}

impl FromStr for PersonalDataKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonalDataKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown personal data kind `{s}`"))
    }
}

/// What a detector saw in a text, before any rule is applied.
///
/// `start`/`end` are offsets in Unicode scalar values (chars) into the original text, end
/// exclusive. `score` is the detector's confidence in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub category: Category,
    pub start: usize,
    pub end: usize,
    pub score: f32,
    pub kind: Option<PersonalDataKind>,
    /// Why the detector fired, for the message (e.g. the lexicon entry or pattern name).
    pub reason: String,
}

/// A detection (or a profile/record check) judged against a rule of the active pack: the unit
/// of the public output.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub start: Option<usize>,
    pub end: Option<usize>,
    pub evidence: String,
    pub kind: Option<PersonalDataKind>,
    #[serde(serialize_with = "rounded")]
    pub score: f32,
    pub message_vi: String,
    pub message_en: String,
}

/// The ViHSD three-way label of a post's whole text.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Clean,
    Offensive,
    Hate,
}

impl Label {
    pub const ALL: [Label; 3] = [Label::Clean, Label::Offensive, Label::Hate];

    /// Index into [`Prediction::probs`]: the ViHSD `label_id` (0 clean, 1 offensive, 2 hate).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Option<Label> {
        Label::ALL.get(i).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Clean => "clean",
            Label::Offensive => "offensive",
            Label::Hate => "hate",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = String;

    /// Accepts the names and the ViHSD ids: `clean`/`0`, `offensive`/`1`, `hate`/`2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "clean" | "0" => Ok(Label::Clean),
            "offensive" | "1" => Ok(Label::Offensive),
            "hate" | "2" => Ok(Label::Hate),
            other => Err(format!(
                "unknown label {other:?} (expected clean, offensive, hate or 0, 1, 2)"
            )),
        }
    }
}

/// The outcome of a check: the highest severity among the findings (`info` does not count).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Review,
    Violation,
}

impl Verdict {
    pub fn of(findings: &[Finding]) -> Verdict {
        match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Violation) => Verdict::Violation,
            Some(Severity::Review) => Verdict::Review,
            _ => Verdict::Pass,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Review => "review",
            Verdict::Violation => "violation",
        }
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Verdict::Pass, Verdict::Review, Verdict::Violation]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown verdict `{s}` (pass, review, violation)"))
    }
}

/// Scores are printed with three decimals: `0.9`, not `0.8999999761581421`.
fn rounded<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((f64::from(*x) * 1000.0).round() / 1000.0)
}
