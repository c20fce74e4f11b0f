//! Consultations on draft policies (AG-6): whether one takes comments at a given time.

use super::status_words;

status_words! {
    /// The stored status of a consultation: whether it takes comments also follows from its
    /// times ([`status_at`]).
    ConsultationStatus {
        Open => "open",
        Withdrawn => "withdrawn",
    }
}

status_words! {
    /// Who gave a comment its stance.
    StanceSource {
        Commenter => "commenter",
        Classifier => "classifier",
    }
}

status_words! {
    /// Where a consultation stands at a given time.
    ConsultationPhase {
        Scheduled => "scheduled",
        Open => "open",
        Closed => "closed",
        Withdrawn => "withdrawn",
    }
}

/// Whether a consultation stored as `status`, open from `opens_at` until `closes_at`
/// (Unix ms, the end excluded), takes comments at `now`.
pub fn status_at(
    status: ConsultationStatus,
    opens_at: i64,
    closes_at: i64,
    now: i64,
) -> ConsultationPhase {
    if status == ConsultationStatus::Withdrawn {
        ConsultationPhase::Withdrawn
    } else if now < opens_at {
        ConsultationPhase::Scheduled
    } else if now >= closes_at {
        ConsultationPhase::Closed
    } else {
        ConsultationPhase::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsultationPhase as P;

    #[test]
    fn a_consultation_takes_comments_between_its_times_unless_withdrawn() {
        let open = ConsultationStatus::Open;
        assert_eq!(status_at(open, 10, 20, 9), P::Scheduled);
        assert_eq!(status_at(open, 10, 20, 10), P::Open);
        assert_eq!(status_at(open, 10, 20, 19), P::Open);
        assert_eq!(status_at(open, 10, 20, 20), P::Closed);
        for now in [9, 10, 20] {
            assert_eq!(
                status_at(ConsultationStatus::Withdrawn, 10, 20, now),
                P::Withdrawn
            );
        }
        assert_eq!("withdrawn".parse(), Ok(ConsultationStatus::Withdrawn));
    }
}
