//! ND-3 (Decree 147/2024, Article 24): repeated violations lead to a temporary lock of 7–30
//! days, and repeated temporary locks to a permanent one.

use serde::Serialize;

/// A 30-day window and a 90-day window, in milliseconds.
pub const DAYS_30_MS: i64 = 30 * 24 * 3600 * 1000;
pub const DAYS_90_MS: i64 = 90 * 24 * 3600 * 1000;

/// An account's violations as the store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ViolationCounts {
    pub last_30_days: i64,
    pub last_90_days: i64,
    /// Decisions that suspended the account (temporary locks).
    pub temporary_locks: i64,
    pub total: i64,
}

/// ND-3's recommendation for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LockRecommendation {
    None,
    /// 7–30 days.
    TemporaryLock,
    PermanentLock,
}

/// ND-3: a temporary lock at ≥ 5 violations in 30 days or ≥ 10 in 90 days; a permanent lock
/// after ≥ 3 temporary locks. Returns the recommendation and why.
pub fn lock_recommendation(counts: &ViolationCounts) -> (LockRecommendation, String) {
    if counts.temporary_locks >= 3 {
        (
            LockRecommendation::PermanentLock,
            format!("{} temporary locks already (≥ 3)", counts.temporary_locks),
        )
    } else if counts.last_30_days >= 5 {
        (
            LockRecommendation::TemporaryLock,
            format!("{} violations in 30 days (≥ 5)", counts.last_30_days),
        )
    } else if counts.last_90_days >= 10 {
        (
            LockRecommendation::TemporaryLock,
            format!("{} violations in 90 days (≥ 10)", counts.last_90_days),
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
    fn nd3_thresholds_at_and_around_each_edge() {
        let cases = [
            ((0, 0, 0), None),
            ((4, 9, 0), None),
            ((5, 5, 0), TemporaryLock),
            ((2, 10, 0), TemporaryLock),
            ((4, 10, 2), TemporaryLock),
            ((0, 0, 2), None),
            ((0, 0, 3), PermanentLock),
            ((9, 20, 3), PermanentLock),
        ];
        for ((d30, d90, locks), want) in cases {
            let counts = ViolationCounts {
                last_30_days: d30,
                last_90_days: d90,
                temporary_locks: locks,
                total: d90,
            };
            assert_eq!(lock_recommendation(&counts).0, want, "{d30} {d90} {locks}");
        }
    }
}
