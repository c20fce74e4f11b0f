//! The rules of the moderation workflow, as plain functions over values.

use serde::{Deserialize, Serialize};

/// What a decision does to the content or account. `none` records that no rule was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    None,
    Label,
    Hide,
    Remove,
    Restrict,
    Suspend,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::None,
        Action::Label,
        Action::Hide,
        Action::Remove,
        Action::Restrict,
        Action::Suspend,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::None => "none",
            Action::Label => "label",
            Action::Hide => "hide",
            Action::Remove => "remove",
            Action::Restrict => "restrict",
            Action::Suspend => "suspend",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Vietnamese wording for the author and reporters.
    pub fn name_vi(self) -> &'static str {
        match self {
            Action::None => "không xử lý (không vi phạm)",
            Action::Label => "gắn nhãn cảnh báo",
            Action::Hide => "ẩn nội dung",
            Action::Remove => "gỡ bỏ nội dung",
            Action::Restrict => "hạn chế tài khoản",
            Action::Suspend => "tạm khóa tài khoản",
        }
    }
}

/// ND-3's recommendation for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockRecommendation {
    None,
    /// 7–30 days.
    TemporaryLock,
    PermanentLock,
}

/// ND-3: a temporary lock at ≥ 5 violations in 30 days or ≥ 10 in 90 days; a permanent lock
/// after ≥ 3 temporary locks.
pub fn lock_recommendation(
    last_30_days: i64,
    last_90_days: i64,
    temporary_locks: i64,
) -> (LockRecommendation, String) {
    if temporary_locks >= 3 {
        (
            LockRecommendation::PermanentLock,
            format!("{temporary_locks} temporary locks already (≥ 3)"),
        )
    } else if last_30_days >= 5 {
        (
            LockRecommendation::TemporaryLock,
            format!("{last_30_days} violations in 30 days (≥ 5)"),
        )
    } else if last_90_days >= 10 {
        (
            LockRecommendation::TemporaryLock,
            format!("{last_90_days} violations in 90 days (≥ 10)"),
        )
    } else {
        (
            LockRecommendation::None,
            "below the ND-3 thresholds".to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockRecommendation::*;

    #[test]
    fn nd3_thresholds() {
        let cases = [
            ((0, 0, 0), None),
            ((4, 9, 0), None),
            ((5, 5, 0), TemporaryLock),
            ((2, 10, 0), TemporaryLock),
            ((0, 0, 2), None),
            ((0, 0, 3), PermanentLock),
            ((9, 20, 3), PermanentLock),
        ];
        for ((d30, d90, locks), want) in cases {
            assert_eq!(
                lock_recommendation(d30, d90, locks).0,
                want,
                "{d30} {d90} {locks}"
            );
        }
    }

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("ban"), Option::None);
    }
}
