//! Due times in working days (AG-7).
//!
//! The counting rule, after the Civil Code 2015 (Art. 147–148) as applied to office work:
//!
//! - **Office hours** are 08:00–17:00 Vietnam time on working days.
//! - The **day of receipt** is the day the question reaches the agency: the receipt day itself
//!   when it is a working day and the question arrives before 17:00, otherwise the next working
//!   day (a question sent in the evening, on a weekend or a holiday is taken as received when
//!   the office next opens).
//! - The day of receipt is **not counted** (Art. 147(1): "ngày đầu tiên của thời hạn không được
//!   tính"); the deadline is the **end of office hours, 17:00, of the N-th working day after
//!   it** (Art. 148(2): for work done at an office the last day ends when office hours end).
//!   With N = 0 the question is due at 17:00 on the day of receipt.
//!
//! So the computation is day-granular: the hour of arrival only decides the day of receipt.

use super::calendar::{CivilDate, DateTimeVn};
use super::holidays::{HolidayCalendar, YearCache};

/// Start of office hours, minutes after midnight.
pub const OFFICE_OPENS: u32 = 8 * 60;
/// End of office hours, minutes after midnight; a question arriving at or after it is received
/// on the next working day.
pub const OFFICE_CLOSES: u32 = 17 * 60;

/// How far a day-by-day walk may go before giving up: no calendar has a year of holidays, so
/// reaching it means the date range ran out.
const MAX_WALK_DAYS: u32 = 400;

/// True when `date` is a working day of `cal`.
pub fn is_working_day(date: CivilDate, cal: &HolidayCalendar) -> bool {
    cal.is_working_day(date)
}

/// The first working day on or after `date`.
pub fn next_working_day_from(date: CivilDate, cal: &HolidayCalendar) -> Option<CivilDate> {
    let mut cache = YearCache::new(cal);
    let mut d = date;
    for _ in 0..MAX_WALK_DAYS {
        if cache.is_working_day(d) {
            return Some(d);
        }
        d = d.add_days(1)?;
    }
    None
}

/// The day of receipt of a question that arrived at `received` (see the module rule).
pub fn receipt_day(received: DateTimeVn, cal: &HolidayCalendar) -> Option<CivilDate> {
    let day = received.date();
    if cal.is_working_day(day) && received.minute_of_day() < OFFICE_CLOSES {
        Some(day)
    } else {
        next_working_day_from(day.add_days(1)?, cal)
    }
}

/// The due time of a question received at `received` with `working_days` working days to
/// answer: 17:00 on the `working_days`-th working day after the day of receipt.
///
/// `None` only when the date leaves the supported range (years 1..=9999).
pub fn due_at(
    received: DateTimeVn,
    working_days: u32,
    cal: &HolidayCalendar,
) -> Option<DateTimeVn> {
    let mut cache = YearCache::new(cal);
    let mut day = receipt_day(received, cal)?;
    let mut left = working_days;
    while left > 0 {
        day = day.add_days(1)?;
        if cache.is_working_day(day) {
            left -= 1;
        }
    }
    DateTimeVn::new(day, OFFICE_CLOSES / 60, OFFICE_CLOSES % 60).ok()
}

/// The number of working days `d` with `from < d <= to` (0 when `to` is not after `from`):
/// how many working days of a deadline have elapsed between two days.
pub fn working_days_between(from: CivilDate, to: CivilDate, cal: &HolidayCalendar) -> u32 {
    let mut cache = YearCache::new(cal);
    let mut count = 0;
    let mut d = from;
    while d < to {
        let Some(next) = d.add_days(1) else { break };
        d = next;
        if cache.is_working_day(d) {
            count += 1;
        }
    }
    count
}
