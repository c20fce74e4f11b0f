//! The moderation console (issue 14, item 1): the queue with filters, search, sort, paging and
//! bulk decisions (`queue.rs`), a case with its timeline, the author's standing, the decision,
//! appeal and takedown panels, assignment and internal notes (`case.rs`), and the audit page
//! with verification (`audit.rs`). Every word comes from `words/console.toml`; keyboard
//! shortcuts are `static/console.js`.

pub mod audit;
pub mod case;
pub mod queue;

use super::words::{say, Lang};
use crate::error::{ApiError, Code};
use quytac_service::ServiceError;

/// A readable name for an actor's stored name: `moderator:3` → "Kiểm duyệt viên #3",
/// `mastodon:alice` → "alice (Mastodon)"; anything else as it is.
pub fn who(lang: Lang, name: &str) -> String {
    match name.split_once(':') {
        Some((role, id)) if super::words::known(&format!("console_role.{role}")) => {
            format!("{} #{id}", say(lang, &format!("console_role.{role}")))
        }
        Some(("mastodon", user)) => format!("{user} (Mastodon)"),
        _ => name.to_string(),
    }
}

/// A time as Vietnam reads it (UTC+7), `dd/mm/yyyy HH:MM`.
pub fn when(ms: i64) -> String {
    crate::vn_time::vn_display(ms)
}

/// A span of time in words: "2 ngày 3 giờ", "45 phút".
pub fn span(lang: Lang, ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (d, h, m) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    let unit = |n: i64, key: &str| format!("{n} {}", say(lang, &format!("console_time.{key}")));
    if d > 0 {
        format!("{} {}", unit(d, "days"), unit(h, "hours"))
    } else if h > 0 {
        format!("{} {}", unit(h, "hours"), unit(m, "minutes"))
    } else {
        unit(m, "minutes")
    }
}

/// The countdown to a takedown's deadline, in words, and whether it has passed.
pub fn countdown(lang: Lang, deadline: i64, now: i64) -> (String, bool) {
    if deadline < now {
        (
            format!(
                "{} {}",
                say(lang, "console_takedown.overdue_by"),
                span(lang, now - deadline)
            ),
            true,
        )
    } else {
        (
            format!(
                "{} {}",
                say(lang, "console_takedown.left"),
                span(lang, deadline - now)
            ),
            false,
        )
    }
}

/// Why a step was refused, in the reader's language: the kind of refusal, and for a field out
/// of bounds which field.
pub fn refusal(lang: Lang, e: &ServiceError) -> String {
    refusal_of(lang, &ApiError::from(e.clone()))
}

pub fn refusal_of(lang: Lang, e: &ApiError) -> String {
    let kind = format!("console_error.{}", e.code.as_str());
    let mut text = if super::words::known(&kind) {
        say(lang, &kind)
    } else {
        say(lang, "console_error.other")
    };
    if e.code == Code::InvalidField {
        // The field is named between backticks in the message (`statement` …).
        if let Some(field) = e.message.split('`').nth(1) {
            let key = format!("console_field.{field}");
            if super::words::known(&key) {
                text = format!("{text} ({})", say(lang, &key));
            }
        }
    }
    text
}

/// A short piece of a text, cut at a character boundary.
pub fn snippet(text: &str, chars: usize) -> String {
    let mut s: String = text.chars().take(chars).collect();
    if text.chars().count() > chars {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_words_not_ids() {
        assert_eq!(who(Lang::Vi, "citizen:5"), "Người dân #5");
        assert_eq!(who(Lang::En, "moderator:3"), "Moderator #3");
        assert_eq!(who(Lang::Vi, "mastodon:alice"), "alice (Mastodon)");
        assert_eq!(who(Lang::Vi, "cs-author"), "cs-author");
    }

    #[test]
    fn spans_and_countdowns_in_words() {
        assert_eq!(span(Lang::Vi, 0), "0 phút");
        assert_eq!(span(Lang::Vi, 90 * 60_000), "1 giờ 30 phút");
        assert_eq!(span(Lang::En, 26 * 3_600_000), "1 days 2 hours");
        let (text, overdue) = countdown(Lang::Vi, 1_000, 1_000 + 3_600_000);
        assert!(overdue);
        assert_eq!(text, "Quá hạn 1 giờ 0 phút");
        let (text, overdue) = countdown(Lang::Vi, 7_200_000, 0);
        assert!(!overdue);
        assert_eq!(text, "Còn 2 giờ 0 phút");
    }

    #[test]
    fn a_refusal_is_told_in_vietnamese_with_its_field() {
        let e = ApiError::new(
            Code::InvalidField,
            "`statement` must have 1 to 5000 characters",
        );
        let text = refusal_of(Lang::Vi, &e);
        assert!(text.contains("Lý do"), "{text}");
        assert!(!text.contains("statement"), "{text}");
    }
}
