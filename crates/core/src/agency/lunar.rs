//! The Vietnamese lunisolar calendar (âm lịch), by Hồ Ngọc Đức's astronomical algorithm
//! ("Thuật toán tính âm lịch"), with Vietnam's time zone UTC+7.
//!
//! The rules: a lunar month starts on the local day of a new moon; month 11 is the month that
//! contains the winter solstice; a year with 13 months between two months 11 has a leap month,
//! the first month after month 11 that contains no major solar term (no change of the sun's
//! longitude sector of 30°). The time zone matters: the Chinese calendar (UTC+8) puts some new
//! moons on another day, which is why Tết 2007 was 17 February in Vietnam and 18 February in
//! China.
//!
//! The astronomical series are the low-precision ones of the algorithm (Meeus, simplified);
//! they agree with the published Vietnamese calendar for 1900–2199 (checked for Tết and Giỗ
//! Tổ 2000–2100 against Hồ Ngọc Đức's own year tables in `tests/agency_calendar.rs`).
//! Individual days can differ from those tables when a new moon falls within minutes of local
//! midnight (7/5/2054 is 1/4 in the table, 30/3 here); no Tết or Giỗ Tổ of 2000–2100 is
//! affected.

use super::calendar::CivilDate;
use std::f64::consts::PI;

/// Vietnam's time zone for the lunar calendar, in hours.
const TIME_ZONE: f64 = 7.0;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// The lunar year, numbered as the solar year in which most of it falls (Tết 2024 starts
    /// lunar year 2024).
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// 1..=30.
    pub day: u32,
    /// True for the repeated (leap) month, "tháng nhuận".
    pub leap: bool,
}

/// The years the conversion accepts. The series stay accurate well beyond, but the
/// calendar as published is only checked for this range, so we refuse to invent the rest.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1800..=2199;

/// Julian day (with fraction, UT) of the `k`-th new moon after the one of 1900-01-01.
fn new_moon(k: i64) -> f64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let deltat = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    jd1 + c1 - deltat
}

/// The sun's apparent longitude in radians, `[0, 2π)`, at Julian day `jd` (UT).
fn sun_longitude(jd: f64) -> f64 {
    let t = (jd - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - 2.0 * PI * (l / (2.0 * PI)).floor()
}

/// The sector (0..=11, 30° each) of the sun's longitude at local midnight starting day `jdn`.
fn sun_sector(jdn: i64) -> i64 {
    (sun_longitude(jdn as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// The local day (JDN) of the `k`-th new moon.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The first day (JDN) of lunar month 11 of solar year `year`: the month holding the solstice.
fn month11(year: i32) -> Option<i64> {
    let off = CivilDate::new(year, 12, 31).ok()?.jdn() - 2_415_021;
    let k = (off as f64 / 29.530_588_853).floor() as i64;
    let nm = new_moon_day(k);
    // A new moon at or after longitude 270° (sector 9) is past the solstice: month 11 began
    // one lunation earlier.
    Some(if sun_sector(nm) >= 9 {
        new_moon_day(k - 1)
    } else {
        nm
    })
}

/// Index (1-based, counted from the month after month 11 starting at `a11`) of the leap month
/// of a 13-month year: the first month whose start and end fall in the same solar sector.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - 2_415_021.076_998_695) / 29.530_588_853 + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// The lunar date of a solar date, `None` outside [`SUPPORTED_YEARS`].
pub fn to_lunar(date: CivilDate) -> Option<LunarDate> {
    let (yy, _, _) = date.ymd();
    if !SUPPORTED_YEARS.contains(&yy) {
        return None;
    }
    let day_number = date.jdn();
    let k = ((day_number as f64 - 2_415_021.076_998_695) / 29.530_588_853).floor() as i64;
    // The lunation estimate `k` can be one off when a new moon falls close to local midnight
    // (e.g. 7/5/2054), so step to the new moon that really starts the month of `date`.
    let mut index = k + 1;
    let mut month_start = new_moon_day(index);
    for _ in 0..3 {
        if month_start <= day_number {
            break;
        }
        index -= 1;
        month_start = new_moon_day(index);
    }
    for _ in 0..3 {
        if new_moon_day(index + 1) > day_number {
            break;
        }
        index += 1;
        month_start = new_moon_day(index);
    }
    let mut a11 = month11(yy)?;
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = month11(yy - 1)?;
    } else {
        lunar_year = yy + 1;
        b11 = month11(yy + 1)?;
    }
    let day = day_number - month_start + 1;
    let diff = (month_start - a11).div_euclid(29);
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11);
        if diff >= leap_diff {
            month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if month > 12 {
        month -= 12;
    }
    if month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    Some(LunarDate {
        year: lunar_year,
        month: u32::try_from(month).ok()?,
        day: u32::try_from(day).ok()?,
        leap,
    })
}

/// The solar date of a lunar date, `None` when it does not exist (day 30 of a 29-day month, a
/// leap month the year does not have) or lies outside [`SUPPORTED_YEARS`].
pub fn from_lunar(lunar: LunarDate) -> Option<CivilDate> {
    let LunarDate {
        year,
        month,
        day,
        leap,
    } = lunar;
    if !SUPPORTED_YEARS.contains(&year) || !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    let (a11, b11) = if month < 11 {
        (month11(year - 1)?, month11(year)?)
    } else {
        (month11(year)?, month11(year + 1)?)
    };
    let k = (0.5 + (a11 as f64 - 2_415_021.076_998_695) / 29.530_588_853).floor() as i64;
    let mut off = i64::from(month) - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if leap && i64::from(month) != leap_month {
            return None;
        }
        if leap || off >= leap_off {
            off += 1;
        }
    } else if leap {
        return None;
    }
    let start = new_moon_day(k + off);
    let next = new_moon_day(k + off + 1);
    if i64::from(day) > next - start {
        return None;
    }
    CivilDate::from_jdn(start + i64::from(day) - 1)
}

/// Tết Nguyên Đán, 1/1 of lunar year `year`.
pub fn tet(year: i32) -> Option<CivilDate> {
    from_lunar(LunarDate {
        year,
        month: 1,
        day: 1,
        leap: false,
    })
}

/// Giỗ Tổ Hùng Vương, 10/3 of lunar year `year`.
pub fn gio_to(year: i32) -> Option<CivilDate> {
    from_lunar(LunarDate {
        year,
        month: 3,
        day: 10,
        leap: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> CivilDate {
        CivilDate::new(y, m, day).unwrap()
    }

    #[test]
    fn tet_differs_from_the_chinese_new_year_in_2007() {
        assert_eq!(tet(2007), Some(d(2007, 2, 17)));
    }

    #[test]
    fn converts_both_ways_including_a_leap_month() {
        // 2023 had a leap second month (tháng 2 nhuận), 22/3–19/4/2023.
        let l = to_lunar(d(2023, 3, 22)).unwrap();
        assert_eq!(
            l,
            LunarDate {
                year: 2023,
                month: 2,
                day: 1,
                leap: true
            }
        );
        assert_eq!(from_lunar(l), Some(d(2023, 3, 22)));
        assert_eq!(
            from_lunar(LunarDate {
                year: 2024,
                month: 2,
                day: 1,
                leap: true
            }),
            None
        );
        // The last day of lunar year 2023 (Quý Mão) was 30 Tết, 9/2/2024.
        assert_eq!(
            to_lunar(d(2024, 2, 9)).unwrap(),
            LunarDate {
                year: 2023,
                month: 12,
                day: 30,
                leap: false
            }
        );
    }
}
