//! Civil (proleptic Gregorian) dates and Vietnam local date-times, small enough to keep the core
//! free of a date-library dependency.
//!
//! Vietnam has used UTC+7 without daylight saving since 1975, so a local time is a fixed offset
//! from UTC and no time-zone database is needed.

use std::fmt;

/// Seconds east of UTC of Asia/Ho_Chi_Minh.
pub const VN_OFFSET_SECONDS: i64 = 7 * 3600;

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Saturday and Sunday are the weekly days off of state agencies.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

/// Why a date or time could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// The year, month or day is out of range (e.g. 30 February).
    InvalidDate { year: i32, month: u32, day: u32 },
    /// The hour or minute is out of range.
    InvalidTime { hour: u32, minute: u32 },
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::InvalidDate { year, month, day } => {
                write!(f, "invalid date {year:04}-{month:02}-{day:02}")
            }
            DateError::InvalidTime { hour, minute } => {
                write!(f, "invalid time {hour:02}:{minute:02}")
            }
        }
    }
}

impl std::error::Error for DateError {}

/// A date of the proleptic Gregorian calendar, years 1..=9999.
///
/// Stored as its Julian Day Number, the count that the lunar algorithm works in, so that
/// adding days and comparing dates are integer operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDate {
    jdn: i64,
}

/// The JDN of 0001-01-01 and 9999-12-31, the range a [`CivilDate`] may hold.
const MIN_JDN: i64 = 1_721_426;
const MAX_JDN: i64 = 5_373_484;

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl CivilDate {
    /// Builds a date, refusing impossible ones.
    pub fn new(year: i32, month: u32, day: u32) -> Result<Self, DateError> {
        if !(1..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::InvalidDate { year, month, day });
        }
        // Fliegel–Van Flandern, the same integer formula as Hồ Ngọc Đức's `jdFromDate` for
        // Gregorian dates.
        let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
        let a = (14 - m) / 12;
        let y = y + 4800 - a;
        let m = m + 12 * a - 3;
        let jdn = d + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045;
        Ok(CivilDate { jdn })
    }

    /// The date of a Julian Day Number, `None` outside years 1..=9999.
    pub fn from_jdn(jdn: i64) -> Option<Self> {
        (MIN_JDN..=MAX_JDN)
            .contains(&jdn)
            .then_some(CivilDate { jdn })
    }

    /// The Julian Day Number (days since 4713 BC, noon-based, as integers).
    pub fn jdn(self) -> i64 {
        self.jdn
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        let a = self.jdn + 32044;
        let b = (4 * a + 3) / 146_097;
        let c = a - b * 146_097 / 4;
        let d = (4 * c + 3) / 1461;
        let e = c - 1461 * d / 4;
        let m = (5 * e + 2) / 153;
        let day = e - (153 * m + 2) / 5 + 1;
        let month = m + 3 - 12 * (m / 10);
        let year = b * 100 + d - 4800 + m / 10;
        // The range check in the constructors keeps these casts lossless.
        (year as i32, month as u32, day as u32)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    pub fn weekday(self) -> Weekday {
        const DAYS: [Weekday; 7] = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        DAYS[self.jdn.rem_euclid(7) as usize]
    }

    /// The date `n` days later (earlier when negative), `None` past the supported range.
    pub fn add_days(self, n: i64) -> Option<Self> {
        Self::from_jdn(self.jdn.checked_add(n)?)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    pub fn days_until(self, other: CivilDate) -> i64 {
        other.jdn - self.jdn
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A wall-clock time in Vietnam (UTC+7), to the minute.
///
/// The service stores instants in UTC; [`DateTimeVn::from_unix`] and [`DateTimeVn::to_unix`]
/// convert at its edge, and everything about office hours and days off is reasoned in local
/// time here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTimeVn {
    date: CivilDate,
    minute_of_day: u16,
}

impl DateTimeVn {
    pub fn new(date: CivilDate, hour: u32, minute: u32) -> Result<Self, DateError> {
        if hour > 23 || minute > 59 {
            return Err(DateError::InvalidTime { hour, minute });
        }
        Ok(DateTimeVn {
            date,
            minute_of_day: (hour * 60 + minute) as u16,
        })
    }

    /// The local time of a Unix timestamp (seconds since 1970-01-01T00:00Z), seconds dropped.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        let local = seconds.checked_add(VN_OFFSET_SECONDS)?;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        // 2440588 is the JDN of 1970-01-01.
        let date = CivilDate::from_jdn(days.checked_add(2_440_588)?)?;
        Some(DateTimeVn {
            date,
            minute_of_day: (secs / 60) as u16,
        })
    }

    /// The Unix timestamp of this local time.
    pub fn to_unix(self) -> i64 {
        (self.date.jdn - 2_440_588) * 86_400 + i64::from(self.minute_of_day) * 60
            - VN_OFFSET_SECONDS
    }

    pub fn date(self) -> CivilDate {
        self.date
    }

    pub fn hour(self) -> u32 {
        u32::from(self.minute_of_day / 60)
    }

    pub fn minute(self) -> u32 {
        u32::from(self.minute_of_day % 60)
    }

    /// Minutes since local midnight.
    pub fn minute_of_day(self) -> u32 {
        u32::from(self.minute_of_day)
    }
}

impl fmt::Display for DateTimeVn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}+07:00",
            self.date,
            self.hour(),
            self.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates_and_weekdays() {
        let d = CivilDate::new(2024, 2, 10).unwrap();
        assert_eq!(d.ymd(), (2024, 2, 10));
        assert_eq!(d.weekday(), Weekday::Saturday);
        assert_eq!(d.jdn(), 2_460_351);
        assert_eq!(
            CivilDate::new(2024, 2, 30),
            Err(DateError::InvalidDate {
                year: 2024,
                month: 2,
                day: 30
            })
        );
        assert_eq!(
            CivilDate::new(2000, 2, 29)
                .unwrap()
                .add_days(1)
                .unwrap()
                .ymd(),
            (2000, 3, 1)
        );
        assert!(CivilDate::new(1900, 2, 29).is_err());
        assert_eq!(CivilDate::from_jdn(MIN_JDN).unwrap().ymd(), (1, 1, 1));
        assert_eq!(CivilDate::from_jdn(MAX_JDN).unwrap().ymd(), (9999, 12, 31));
        assert!(CivilDate::from_jdn(MAX_JDN + 1).is_none());
    }

    #[test]
    fn converts_unix_time_in_utc_plus_7() {
        // 2024-02-09T17:30:00Z is 00:30 on 10 February in Hà Nội.
        let t = DateTimeVn::from_unix(1_707_499_800).unwrap();
        assert_eq!(t.to_string(), "2024-02-10T00:30+07:00");
        assert_eq!(t.to_unix(), 1_707_499_800);
        assert!(DateTimeVn::from_unix(i64::MAX).is_none());
        assert!(DateTimeVn::from_unix(i64::MIN).is_none());
    }
}
