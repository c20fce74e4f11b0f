//! Times in Vietnam (Asia/Ho_Chi_Minh, UTC+7 without daylight saving): the store keeps Unix
//! milliseconds in UTC; the API and the pages show them here, in one way.

use quytac_core::agency::DateTimeVn;

/// The Vietnam wall-clock time of a Unix-ms instant.
pub fn vn_time(ms: i64) -> Option<DateTimeVn> {
    DateTimeVn::from_unix(ms.div_euclid(1000))
}

/// `2026-02-13T17:00+07:00`, or empty for an instant out of range.
pub fn vn_string(ms: i64) -> String {
    vn_time(ms).map(|t| t.to_string()).unwrap_or_default()
}

/// `YYYY-MM` of an instant in Vietnam time.
pub fn vn_month(ms: i64) -> String {
    vn_time(ms)
        .map(|t| {
            let (y, m, _) = t.date().ymd();
            format!("{y:04}-{m:02}")
        })
        .unwrap_or_default()
}

/// The Vietnam date `YYYY-MM-DD` of an instant.
pub fn vn_day(ms: i64) -> String {
    vn_time(ms)
        .map(|t| {
            let (y, m, d) = t.date().ymd();
            format!("{y:04}-{m:02}-{d:02}")
        })
        .unwrap_or_default()
}

/// `13/02/2026 17:00` in Vietnam time, for pages.
pub fn vn_display(ms: i64) -> String {
    vn_time(ms)
        .map(|t| {
            let (y, m, d) = t.date().ymd();
            format!("{d:02}/{m:02}/{y:04} {:02}:{:02}", t.hour(), t.minute())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_utc_instants_in_vietnam_time() {
        assert_eq!(vn_display(0), "01/01/1970 07:00");
        // 31 Jan 17:00 UTC is already February in Vietnam.
        assert_eq!(vn_month((30 * 24 + 17) * 3_600_000), "1970-02");
        assert_eq!(vn_month((30 * 24 + 16) * 3_600_000), "1970-01");
    }
}
