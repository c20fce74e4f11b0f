//! ND-2 (Decree 147/2024): content an authority asks to remove comes down within 24 hours of
//! the request.

use super::status_words;

/// The deadline of a takedown request, from when it was received.
pub const TAKEDOWN_DEADLINE_MS: i64 = 24 * 3600 * 1000;

status_words! {
    /// Where a takedown request stands: `done` once a decision made the content invisible.
    TakedownStatus {
        Open => "open",
        Done => "done",
    }
}

/// When a request received at `received_at` (Unix ms) must be done.
pub fn deadline(received_at: i64) -> i64 {
    received_at.saturating_add(TAKEDOWN_DEADLINE_MS)
}

/// Whether a request is still open after its deadline.
pub fn is_overdue(status: TakedownStatus, deadline: i64, now: i64) -> bool {
    status == TakedownStatus::Open && deadline < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_due_24_hours_after_it_was_received() {
        assert_eq!(deadline(1_000), 1_000 + 86_400_000);
        assert_eq!(deadline(i64::MAX), i64::MAX);
    }

    #[test]
    fn only_an_open_request_past_its_deadline_is_overdue() {
        let d = deadline(0);
        assert!(!is_overdue(TakedownStatus::Open, d, d));
        assert!(is_overdue(TakedownStatus::Open, d, d + 1));
        assert!(!is_overdue(TakedownStatus::Done, d, d + 1));
    }
}
