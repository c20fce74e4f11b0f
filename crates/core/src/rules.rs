//! Rule packs as data (`rules/*.toml`): which rule applies to which subject and category, at
//! what severity, with which message. Three packs ship embedded; users may load their own.

use crate::classifier::Thresholds;
use crate::finding::{Category, Severity};
use crate::item::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

const BUILTIN: [(&str, &str); 3] = [
    (
        "vn-2018-draft",
        include_str!("../../../rules/vn-2018-draft.toml"),
    ),
    (
        "vn-874-2021",
        include_str!("../../../rules/vn-874-2021.toml"),
    ),
    (
        "vn-147-2024",
        include_str!("../../../rules/vn-147-2024.toml"),
    ),
];

/// The pack used when none is named: the 2018 draft this product was asked to implement.
pub const DEFAULT_PACK: &str = "vn-2018-draft";

/// One rule of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// The wording of the clause it enforces (Vietnamese, from the source text).
    pub clause: String,
    pub subjects: Vec<Role>,
    /// Categories whose detections this rule judges. A rule without categories documents a
    /// duty that is checked outside the text engine (e.g. by the service).
    #[serde(default)]
    pub categories: Vec<Category>,
    pub severity: Severity,
    /// Per-category severity where it differs from `severity`.
    #[serde(default)]
    pub severity_by_category: BTreeMap<Category, Severity>,
    /// What software checks, in English.
    pub check: String,
    pub message_vi: String,
    pub message_en: String,
}

impl Rule {
    pub fn severity_for(&self, category: Category) -> Severity {
        self.severity_by_category
            .get(&category)
            .copied()
            .unwrap_or(self.severity)
    }
}

/// A rule pack: metadata, per-category score thresholds and rules in order of precedence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePack {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub source: String,
    /// Minimum detection score for a category to become a finding (default 0.5). Raising it
    /// trades recall for precision.
    #[serde(default)]
    pub thresholds: BTreeMap<Category, f32>,
    /// Decision thresholds of the text classifier (`[classifier] offensive = …, hate = …`):
    /// a post is hate when P(hate) reaches `hate`, else offensive when P(offensive) + P(hate)
    /// reaches `offensive`. Absent: the shipped model's own thresholds.
    #[serde(default)]
    pub classifier: Option<Thresholds>,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

/// Why a pack could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulePackError {
    UnknownPack(String),
    Invalid(String),
}

impl fmt::Display for RulePackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulePackError::UnknownPack(p) => write!(
                f,
                "unknown rule pack `{p}` (known: {})",
                BUILTIN.map(|b| b.0).join(", ")
            ),
            RulePackError::Invalid(e) => write!(f, "invalid rule pack: {e}"),
        }
    }
}

impl std::error::Error for RulePackError {}

impl RulePack {
    /// Ids of the packs that ship with quytac.
    pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|b| b.0)
    }

    /// A pack that ships with quytac.
    pub fn builtin(id: &str) -> Result<RulePack, RulePackError> {
        let (_, src) = BUILTIN
            .iter()
            .find(|b| b.0 == id)
            .ok_or_else(|| RulePackError::UnknownPack(id.to_string()))?;
        RulePack::from_toml(src)
    }

    /// Parses and validates a pack written in TOML.
    pub fn from_toml(src: &str) -> Result<RulePack, RulePackError> {
        let pack: RulePack =
            toml::from_str(src).map_err(|e| RulePackError::Invalid(e.to_string()))?;
        pack.validate()?;
        Ok(pack)
    }

    fn validate(&self) -> Result<(), RulePackError> {
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            if r.id.trim().is_empty() {
                return Err(RulePackError::Invalid("a rule has an empty id".into()));
            }
            if !seen.insert(r.id.as_str()) {
                return Err(RulePackError::Invalid(format!(
                    "rule id `{}` appears twice",
                    r.id
                )));
            }
            if r.subjects.is_empty() {
                return Err(RulePackError::Invalid(format!(
                    "rule `{}` has no subjects",
                    r.id
                )));
            }
            if let Some(c) = r
                .severity_by_category
                .keys()
                .find(|c| !r.categories.contains(c))
            {
                return Err(RulePackError::Invalid(format!(
                    "rule `{}` sets a severity for `{c}`, which it does not check",
                    r.id
                )));
            }
        }
        if let Some((c, t)) = self
            .thresholds
            .iter()
            .find(|(_, t)| !(0.0..=1.0).contains(*t))
        {
            return Err(RulePackError::Invalid(format!(
                "threshold for `{c}` is {t}, outside 0..=1"
            )));
        }
        Ok(())
    }

    /// The first rule (in pack order) that judges `category` for `role`.
    pub fn rule_for(&self, role: Role, category: Category) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.subjects.contains(&role) && r.categories.contains(&category))
    }

    /// The score a detection of `category` needs to become a finding.
    pub fn threshold(&self, category: Category) -> f32 {
        self.thresholds.get(&category).copied().unwrap_or(0.5)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_packs_load_and_cover_the_contract() {
        for id in RulePack::builtin_ids() {
            let p = RulePack::builtin(id).unwrap();
            assert_eq!(p.id, id);
            assert!(!p.rules.is_empty());
        }
        let p = RulePack::builtin(DEFAULT_PACK).unwrap();
        assert!(
            p.classifier.is_some(),
            "the default pack sets the classifier thresholds"
        );
        let cs5 = p
            .rule_for(Role::CivilServant, Category::RegionalDiscrimination)
            .unwrap();
        assert_eq!(cs5.id, "CS-5");
        assert_eq!(
            p.rule_for(Role::Citizen, Category::Hate).unwrap().id,
            "US-1"
        );
        for id in [
            "CS-1", "CS-2", "CS-3", "CS-4", "CS-5", "CS-6", "CS-7", "CS-8", "CS-9", "CS-10",
            "AG-1", "AG-7",
        ] {
            assert!(p.rule(id).is_some(), "{id} missing from the 2018 pack");
        }
    }

    #[test]
    fn rejects_broken_packs_with_reasons() {
        assert!(matches!(
            RulePack::builtin("nope"),
            Err(RulePackError::UnknownPack(_))
        ));
        let err = RulePack::from_toml("id = 1").unwrap_err().to_string();
        assert!(err.contains("invalid rule pack"), "{err}");
        let twice = r#"id="x"
title_vi="x"
title_en="x"
source="x"
[[rule]]
id="A"
clause="c"
subjects=["citizen"]
severity="review"
check="c"
message_vi="m"
message_en="m"
[[rule]]
id="A"
clause="c"
subjects=["citizen"]
severity="review"
check="c"
message_vi="m"
message_en="m"
"#;
        assert!(RulePack::from_toml(twice)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }
}
