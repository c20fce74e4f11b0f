//! The lunar calendar against Hồ Ngọc Đức's published tables, and the working-day deadline
//! table (AG-7). Expected due dates were worked out by hand from the rules documented in
//! `agency::holidays` and `agency::deadline`, not by running the code.

use quytac_core::agency::{
    due_at, from_lunar, holidays::statutory_holidays, lunar, to_lunar, working_days_between,
    CivilDate, DateTimeVn, HolidayCalendar, LunarDate,
};

const REFERENCE: &str = include_str!("../data/tet_2000_2100.tsv");

fn date(s: &str) -> CivilDate {
    let p: Vec<&str> = s.split('-').collect();
    CivilDate::new(
        p[0].parse().unwrap(),
        p[1].parse().unwrap(),
        p[2].parse().unwrap(),
    )
    .unwrap()
}

fn at(s: &str) -> DateTimeVn {
    let (d, t) = s.split_once(' ').unwrap();
    let (h, m) = t.split_once(':').unwrap();
    DateTimeVn::new(date(d), h.parse().unwrap(), m.parse().unwrap()).unwrap()
}

#[test]
fn tet_and_gio_to_match_the_reference_list_2000_2100() {
    let mut years = 0;
    for line in REFERENCE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let year: i32 = cols[0].parse().unwrap();
        assert_eq!(lunar::tet(year), Some(date(cols[1])), "Tết {year}");
        assert_eq!(lunar::gio_to(year), Some(date(cols[2])), "Giỗ Tổ {year}");
        years += 1;
    }
    assert_eq!(years, 101);
}

#[test]
fn tet_of_years_known_by_heart() {
    // Vietnamese dates; 2007 differs from the Chinese new year (18 February 2007).
    for (y, d) in [
        (2007, "2007-02-17"),
        (2017, "2017-01-28"),
        (2020, "2020-01-25"),
        (2021, "2021-02-12"),
        (2023, "2023-01-22"),
        (2024, "2024-02-10"),
        (2025, "2025-01-29"),
        (2026, "2026-02-17"),
    ] {
        assert_eq!(lunar::tet(y), Some(date(d)), "{y}");
    }
}

#[test]
fn every_day_2000_2100_round_trips_through_the_lunar_calendar() {
    let mut d = date("2000-01-01");
    let end = date("2100-12-31");
    let mut leap_months = 0;
    while d <= end {
        let l = to_lunar(d).unwrap();
        assert_eq!(from_lunar(l), Some(d), "{d} → {l:?}");
        assert!((1..=30).contains(&l.day) && (1..=12).contains(&l.month));
        if l.leap && l.day == 1 {
            leap_months += 1;
        }
        if l.month == 1 && l.day == 1 && !l.leap {
            assert_eq!(lunar::tet(l.year), Some(d));
        }
        d = d.add_days(1).unwrap();
    }
    // About 7 leap months every 19 years: 37 in 101 years.
    assert!((35..=39).contains(&leap_months), "{leap_months}");
    assert_eq!(
        from_lunar(LunarDate {
            year: 2025,
            month: 12,
            day: 31,
            leap: false
        }),
        None
    );
}

#[test]
fn national_day_neighbour_reproduces_published_schedules() {
    for (year, neighbour) in [
        (2021, "2021-09-03"),
        (2022, "2022-09-01"),
        (2023, "2023-09-01"),
        (2024, "2024-09-03"),
        (2025, "2025-09-01"),
    ] {
        let days: Vec<CivilDate> = statutory_holidays(year)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert!(days.contains(&date(neighbour)), "{year}");
    }
}

/// (received, working days, due date at 17:00).
const DEADLINES: &[(&str, u32, &str)] = &[
    // Tết 2024 (Sat 10/2): off Fri 9, Mon 12, Tue 13 and substitutes Wed 14, Thu 15.
    ("2024-02-07 10:00", 1, "2024-02-08"),
    ("2024-02-07 10:00", 2, "2024-02-16"),
    ("2024-02-07 10:00", 3, "2024-02-19"),
    ("2024-02-08 16:59", 1, "2024-02-16"),
    ("2024-02-08 17:00", 1, "2024-02-19"),
    ("2024-02-10 09:00", 1, "2024-02-19"),
    ("2024-02-12 09:00", 0, "2024-02-16"),
    ("2024-02-05 08:00", 5, "2024-02-19"),
    ("2024-02-01 14:00", 10, "2024-02-22"),
    ("2024-02-16 07:30", 1, "2024-02-19"),
    // Tết 2025 (Wed 29/1): off Tue 28 – Fri 31 and Mon 3/2 for Sat 1/2.
    ("2025-01-24 10:00", 1, "2025-01-27"),
    ("2025-01-24 10:00", 2, "2025-02-04"),
    ("2025-01-27 17:30", 1, "2025-02-05"),
    ("2025-01-29 11:00", 3, "2025-02-07"),
    ("2025-02-01 09:00", 0, "2025-02-04"),
    ("2025-01-20 09:00", 7, "2025-02-05"),
    // Tết 2026 (Tue 17/2): off Mon 16 – Fri 20.
    ("2026-02-13 16:00", 1, "2026-02-23"),
    ("2026-02-13 17:00", 1, "2026-02-24"),
    ("2026-02-12 10:00", 2, "2026-02-23"),
    ("2026-02-18 10:00", 5, "2026-03-02"),
    ("2026-02-14 10:00", 1, "2026-02-24"),
    // Tết 2023 (Sun 22/1): eve Sat 21 and Sun 22 push substitutes to Thu 26, Fri 27.
    ("2023-01-20 10:00", 1, "2023-01-30"),
    ("2023-01-19 10:00", 2, "2023-01-30"),
    ("2023-01-24 10:00", 1, "2023-01-31"),
    // 1/1/2023 is a Sunday: Monday 2/1 is off.
    ("2022-12-30 10:00", 1, "2023-01-03"),
    ("2022-12-30 17:05", 0, "2023-01-03"),
    // Giỗ Tổ Sat 29/4/2023, 30/4 Sun, 1/5 Mon: substitutes Tue 2/5, Wed 3/5.
    ("2023-04-28 09:00", 1, "2023-05-04"),
    ("2023-04-27 09:00", 2, "2023-05-04"),
    ("2023-04-30 09:00", 1, "2023-05-05"),
    ("2023-05-02 08:00", 0, "2023-05-04"),
    // Quốc khánh 2023: Fri 1/9, Sat 2/9, substitute Mon 4/9.
    ("2023-08-31 10:00", 1, "2023-09-05"),
    ("2023-08-31 18:00", 1, "2023-09-06"),
    // 2024: Giỗ Tổ Thu 18/4; 30/4 Tue, 1/5 Wed; 2/9 Mon with 3/9 Tue.
    ("2024-04-17 10:00", 1, "2024-04-19"),
    ("2024-04-26 10:00", 2, "2024-05-02"),
    ("2024-04-29 17:00", 1, "2024-05-03"),
    ("2024-08-30 10:00", 1, "2024-09-04"),
    ("2024-08-30 10:00", 3, "2024-09-06"),
    // 2025: 1/1 Wed; Giỗ Tổ Mon 7/4; 30/4 Wed, 1/5 Thu; 2/9 Tue with 1/9 Mon.
    ("2024-12-31 10:00", 1, "2025-01-02"),
    ("2025-04-04 16:00", 1, "2025-04-08"),
    ("2025-04-29 10:00", 1, "2025-05-02"),
    ("2025-08-29 10:00", 1, "2025-09-03"),
    // 2026: Giỗ Tổ Sun 26/4 → Mon 27/4; 30/4 Thu, 1/5 Fri; 2/9 Wed with 3/9 Thu; 1/1 Thu.
    ("2026-04-24 10:00", 1, "2026-04-28"),
    ("2026-04-28 10:00", 2, "2026-05-04"),
    ("2026-09-01 10:00", 1, "2026-09-04"),
    ("2025-12-31 10:00", 1, "2026-01-02"),
    // Tết 2021 (Fri 12/2): off Thu 11, Fri 12, Mon 15, substitutes Tue 16, Wed 17.
    ("2021-02-10 10:00", 1, "2021-02-18"),
    ("2021-02-10 10:00", 3, "2021-02-22"),
    // Tết 2007 (Sat 17/2): off Fri 16, Mon 19, Tue 20, substitutes Wed 21, Thu 22.
    ("2007-02-15 10:00", 1, "2007-02-23"),
    // Ordinary weeks.
    ("2024-03-15 10:00", 1, "2024-03-18"),
    ("2024-03-15 10:00", 0, "2024-03-15"),
    ("2024-03-16 10:00", 0, "2024-03-18"),
    ("2024-03-11 10:00", 5, "2024-03-18"),
    ("2024-03-11 10:00", 15, "2024-04-01"),
];

#[test]
fn deadline_table() {
    assert!(DEADLINES.len() >= 50);
    let cal = HolidayCalendar::vietnam();
    let mut wrong = Vec::new();
    for &(received, n, due) in DEADLINES {
        let got = due_at(at(received), n, &cal).unwrap();
        let want = DateTimeVn::new(date(due), 17, 0).unwrap();
        if got != want {
            wrong.push(format!("{received} + {n}: got {got}, want {want}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn overrides_replace_the_modelled_schedule() {
    // The Prime Minister's Tết 2024 schedule: Thu 8/2 to Wed 14/2.
    let tet_2024 = [
        "2024-02-08",
        "2024-02-09",
        "2024-02-12",
        "2024-02-13",
        "2024-02-14",
    ];
    let cal = HolidayCalendar::vietnam()
        .with_override(2024, tet_2024.map(date))
        .with_working_day(date("2024-05-04"));
    let due = |r: &str, n| due_at(at(r), n, &cal).unwrap().date();
    assert_eq!(due("2024-02-07 10:00", 1), date("2024-02-15"));
    assert!(cal.is_working_day(date("2024-05-04")));
    assert_eq!(due("2024-05-03 10:00", 1), date("2024-05-04"));
    // Other years keep the statutory rules.
    assert!(!cal.is_working_day(date("2025-01-29")));
}

#[test]
fn working_days_between_counts_the_days_after_the_first() {
    let cal = HolidayCalendar::vietnam();
    let between = |a: &str, b: &str| working_days_between(date(a), date(b), &cal);
    assert_eq!(between("2024-02-07", "2024-02-19"), 3);
    assert_eq!(between("2025-01-24", "2025-02-04"), 2);
    assert_eq!(between("2024-03-11", "2024-03-18"), 5);
    assert_eq!(between("2024-03-18", "2024-03-11"), 0);
    assert_eq!(between("2024-03-11", "2024-03-11"), 0);
}
