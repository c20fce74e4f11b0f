//! Vietnamese public holidays (Labour Code 2019, Art. 112) and the substitute days off of
//! Art. 111(3), computed per solar year from rules, with per-year overrides for the schedule
//! the Prime Minister actually announces.
//!
//! The rules implemented (all dates of the solar year `Y` unless said otherwise):
//!
//! - **Tết Dương lịch**: 1 January.
//! - **Tết Nguyên Đán**: five days, modelled as the last day of the old lunar year (29 or 30
//!   tháng Chạp) and the first four days of the new one (1–4 tháng Giêng). Each year the Prime
//!   Minister fixes the real five days (often shifted to join a weekend), so the model is a
//!   default: a published schedule goes in [`HolidayCalendar::with_override`].
//! - **Giỗ Tổ Hùng Vương**: 10/3 lunar.
//! - **Ngày Chiến thắng** 30 April and **Quốc tế Lao động** 1 May.
//! - **Quốc khánh**: 2 September "và 01 ngày liền kề trước hoặc sau". The code leaves the
//!   choice open; we take the neighbour that is a weekday, preferring one that joins the break
//!   to a weekend, and 3 September when both or neither do. This reproduces the schedules of
//!   2021 (2–3/9), 2022 (1–2/9), 2023 (1–2/9), 2024 (2–3/9) and 2025 (1–2/9).
//! - **Substitute days (nghỉ bù)**: a holiday on a Saturday or Sunday gives a day off on the
//!   next day that is neither a weekend day, a holiday, nor already a substitute day, taken in
//!   date order (so a Tết that spans a weekend pushes two days after its end).
//!
//! Weekends (Saturday, Sunday) are days off. An override replaces every holiday and substitute
//! day of its year with the given list; [`HolidayCalendar::with_working_day`] marks a weekend
//! day as a working day ("làm bù"), as the Prime Minister's decisions sometimes do.

use super::calendar::CivilDate;
use super::lunar::{self, LunarDate};
use std::collections::{BTreeMap, BTreeSet};

/// The calendar of days off used for deadlines.
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    overrides: BTreeMap<i32, BTreeSet<CivilDate>>,
    working_weekend_days: BTreeSet<CivilDate>,
}

impl HolidayCalendar {
    /// The statutory Vietnamese calendar, computed from the rules above.
    pub fn vietnam() -> Self {
        Self::default()
    }

    /// Replaces the computed holidays and substitute days of solar year `year` by `dates`
    /// (dates outside that year are ignored: each year's list stands alone).
    pub fn with_override(mut self, year: i32, dates: impl IntoIterator<Item = CivilDate>) -> Self {
        let set = dates.into_iter().filter(|d| d.year() == year).collect();
        self.overrides.insert(year, set);
        self
    }

    /// Makes a Saturday or Sunday a working day (a make-up day, "ngày làm bù").
    pub fn with_working_day(mut self, date: CivilDate) -> Self {
        self.working_weekend_days.insert(date);
        self
    }

    /// The holidays and substitute days off of solar year `year`, sorted, weekends excluded
    /// unless a holiday falls on one. Empty for years the lunar calendar does not support.
    pub fn days_off(&self, year: i32) -> BTreeSet<CivilDate> {
        match self.overrides.get(&year) {
            Some(set) => set.clone(),
            None => statutory_days_off(year),
        }
    }

    /// True when `date` is a working day: not a weekend (unless made a working day) and not a
    /// holiday or substitute day.
    pub fn is_working_day(&self, date: CivilDate) -> bool {
        YearCache::new(self).is_working_day(date)
    }
}

/// The days off of one year at a time, so that walking day by day recomputes the lunar
/// calendar only when the year changes.
pub(crate) struct YearCache<'a> {
    cal: &'a HolidayCalendar,
    year: i32,
    days_off: BTreeSet<CivilDate>,
}

impl<'a> YearCache<'a> {
    pub(crate) fn new(cal: &'a HolidayCalendar) -> Self {
        YearCache {
            cal,
            year: i32::MIN,
            days_off: BTreeSet::new(),
        }
    }

    pub(crate) fn is_working_day(&mut self, date: CivilDate) -> bool {
        if self.cal.working_weekend_days.contains(&date) {
            return true;
        }
        if date.weekday().is_weekend() {
            return false;
        }
        let year = date.year();
        if year != self.year {
            self.year = year;
            self.days_off = self.cal.days_off(year);
        }
        !self.days_off.contains(&date)
    }
}

/// The named holidays of a year (before substitute days).
pub fn statutory_holidays(year: i32) -> Vec<(CivilDate, &'static str)> {
    let mut out = Vec::new();
    let mut push = |m: u32, d: u32, name: &'static str| {
        if let Ok(date) = CivilDate::new(year, m, d) {
            out.push((date, name));
        }
    };
    push(1, 1, "Tết Dương lịch");
    push(4, 30, "Ngày Chiến thắng");
    push(5, 1, "Ngày Quốc tế Lao động");
    push(9, 2, "Quốc khánh");
    if let Ok(national_day) = CivilDate::new(year, 9, 2) {
        if let Some(d) = national_day_neighbour(national_day) {
            out.push((d, "Quốc khánh (ngày liền kề)"));
        }
    }
    // Tết of lunar year `year` always falls in solar year `year` (between 21 January and
    // 20 February), and so does the last day of the lunar year before it.
    if let Some(tet) = lunar::tet(year) {
        if let Some(eve) = tet.add_days(-1) {
            out.push((eve, "Tết Nguyên Đán (ngày cuối năm âm lịch)"));
        }
        for i in 0..4 {
            if let Some(d) = tet.add_days(i) {
                out.push((d, "Tết Nguyên Đán"));
            }
        }
    }
    if let Some(d) = lunar::from_lunar(LunarDate {
        year,
        month: 3,
        day: 10,
        leap: false,
    }) {
        out.push((d, "Giỗ Tổ Hùng Vương"));
    }
    out.sort();
    out
}

/// The day beside 2 September, by the rule in the module documentation.
fn national_day_neighbour(national_day: CivilDate) -> Option<CivilDate> {
    let before = national_day.add_days(-1)?;
    let after = national_day.add_days(1)?;
    let score = |d: CivilDate, outer: Option<CivilDate>| -> u8 {
        if d.weekday().is_weekend() {
            return 0;
        }
        // Joins a weekend when the day on its far side is a Saturday or Sunday.
        if outer.is_some_and(|o| o.weekday().is_weekend()) {
            2
        } else {
            1
        }
    };
    let s_before = score(before, before.add_days(-1));
    let s_after = score(after, after.add_days(1));
    Some(if s_before > s_after { before } else { after })
}

/// Holidays plus substitute days of a year, by the statutory rules.
fn statutory_days_off(year: i32) -> BTreeSet<CivilDate> {
    let holidays: BTreeSet<CivilDate> = statutory_holidays(year)
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let mut days_off = holidays.clone();
    for h in &holidays {
        if !h.weekday().is_weekend() {
            continue;
        }
        let mut d = *h;
        // A substitute is always found within a few weeks; the bound only guards the end of
        // the supported date range.
        for _ in 0..60 {
            let Some(next) = d.add_days(1) else { break };
            d = next;
            if !d.weekday().is_weekend() && !days_off.contains(&d) {
                days_off.insert(d);
                break;
            }
        }
    }
    days_off
}
