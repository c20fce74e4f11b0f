//! The moderation workflow as pure types and transition functions: who may do what to a case,
//! an appeal, a takedown or a citizen's text, and what each step changes. No I/O: the service
//! layer (`quytac-service`) reads the rows inside its write transaction, asks these functions,
//! and writes what they decide. Every rule of the workflow lives here, once.
//!
//! - [`actor`]: [`Role`] and [`Actor`], who is acting.
//! - [`agency`]: who may act for an agency, and the words of its identity records.
//! - [`moderation`]: [`CaseStatus`], [`Action`], decisions ([`may_decide`]) and appeals
//!   ([`may_appeal`]), the rule a decision may cite ([`check_rule_applies`]).
//! - [`takedown`]: ND-2's 24-hour deadline and what closes a takedown.
//! - [`inquiry`]: citizens' inquiries (AG-7): status, who may assign, answer, reopen, close
//!   or unmask, escalation and the `response_overdue` finding; [`consultation`]: whether a
//!   consultation takes comments.
//! - [`nd3`]: ND-3's violation counters and lock recommendation.
//! - [`decree147`]: ND-1 (authenticated accounts write), ND-4 (guardians of minors) and the
//!   48-hour clock of users' complaints; [`complaint`]: complaints addressed to page owners
//!   (whom, who answers, when one is handled); [`figures`]: what the public figures count once.
//! - [`text`]: the one validator of free text written by people, and the refusal rule for
//!   citizens' texts.
//!
//! A refused step is a [`Refusal`]: a kind the front ends map to a status, and a message.

pub mod actor;
pub mod agency;
pub mod complaint;
pub mod consultation;
pub mod decree147;
pub mod figures;
pub mod inquiry;
pub mod moderation;
pub mod nd3;
pub mod staff;
pub mod takedown;
pub mod text;

pub use actor::{Actor, Role};
pub use moderation::{
    appeal_action, check_rule_applies, may_appeal, may_assign, may_decide, may_note, Action,
    AppealOutcome, AppealStatus, CaseSource, CaseStatus, DecisionOn, ReportOutcome,
};
pub use nd3::{lock_recommendation, LockRecommendation, ViolationCounts};
pub use takedown::{TakedownStatus, TAKEDOWN_DEADLINE_MS};

use std::fmt;

/// Why a step of the workflow is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role may not take this step.
    Forbidden(String),
    /// The record is not in a state that allows this step (e.g. deciding a decided case).
    Conflict(String),
    /// An appeal decided by the person whose decision is appealed.
    SameModerator,
    /// A decision that cites a rule which does not bind the author or judge the category.
    RuleNotApplicable(String),
    /// A field of the command is out of bounds.
    InvalidField(String),
    /// A citizen's text that breaks the code of conduct for another reason than personal data.
    ContentRejected(String),
    /// A write Decree 147 refuses (ND-1: an unauthenticated account; ND-4: a minor without a
    /// guardian), with the finding that names the rule.
    Decree(decree147::DecreeFinding),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Forbidden(m)
            | Refusal::Conflict(m)
            | Refusal::RuleNotApplicable(m)
            | Refusal::InvalidField(m)
            | Refusal::ContentRejected(m) => f.write_str(m),
            Refusal::SameModerator => {
                f.write_str("the appealed decision was yours; another reviewer must decide")
            }
            Refusal::Decree(d) => write!(f, "{}: {} ({})", d.rule, d.message_vi, d.evidence),
        }
    }
}

impl std::error::Error for Refusal {}

/// Implements `as_str`, `Display`, `FromStr` and serde for a status enum from one table of
/// (variant, word), so the stored word, the JSON word and the Rust value cannot drift apart.
macro_rules! status_words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored in the database and written in JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} `{s}` (one of: {})", stringify!($name), words.join(", "))
                })
            }
        }

        #[cfg(feature = "schema")]
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($word),+]))
                    .into()
            }
        }

        #[cfg(feature = "schema")]
        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use status_words;
