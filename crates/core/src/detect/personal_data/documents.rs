//! Licence plates, passports and dates of birth.

use super::checks::valid_date;
use super::context::{left_ok, right_ok};
use super::{Candidate, Label, PersonalDataDetector};
use crate::finding::PersonalDataKind;

impl PersonalDataDetector {
    pub(super) fn find_plates(&self, text: &str, cands: &mut Vec<Candidate>) {
        let mut pos = 0;
        while let Some(c) = self.plate.captures_at(text, pos) {
            let m = c.get(0).expect("group 0");
            pos = m.start() + 1;
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), m.as_str().contains(' ')) {
                continue;
            }
            let loc: u32 = c["loc"].parse().unwrap_or(0);
            let ser = &c["ser"];
            let num = &c["num"];
            if !(11..=99).contains(&loc) {
                continue;
            }
            // Series letters never issued (they look like digits or are reserved).
            if ser
                .chars()
                .any(|ch| matches!(ch, 'I' | 'J' | 'O' | 'Q' | 'W'))
            {
                continue;
            }
            let seps = format!(
                "{}{}",
                c.name("s1").map_or("", |s| s.as_str()),
                c.name("s2").map_or("", |s| s.as_str())
            );
            let before = self.before(text, m.start());
            if before.nearest_is(Label::NotPersonal) {
                continue;
            }
            let labelled = before.has(Label::Plate);
            // "-" between parts or "123.45" is how plates are written; other shapes ("55UK6300"
            // a TV model, "12A1 2023" a school class) need a label.
            let strong = (seps.contains('-') || num.contains('.')) && num.len() != 4;
            let canonical_car =
                seps.is_empty() && ser.len() == 1 && num.len() == 5 && !num.contains('.');
            let score = if labelled {
                0.95
            } else if strong {
                0.9
            } else if canonical_car {
                0.72
            } else {
                continue;
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Plate,
                score,
                reason: format!("licence plate (locality {loc})"),
            });
            pos = m.end();
        }
    }

    pub(super) fn find_passports(&self, text: &str, cands: &mut Vec<Candidate>) {
        // One uppercase letter and 7 digits: a byte scan, cheaper than a regex pass.
        let b = text.as_bytes();
        for start in 0..b.len().saturating_sub(7) {
            let end = start + 8;
            if !b[start].is_ascii_uppercase() || !b[start + 1..end].iter().all(u8::is_ascii_digit) {
                continue;
            }
            if !left_ok(text, start) || !right_ok(text, end, false) {
                continue;
            }
            let before = self.before(text, start);
            let score = match before.nearest {
                Some(Label::NotPersonal) => continue,
                Some(Label::Passport) => 0.96,
                _ if before.has(Label::Passport) => 0.9,
                None => 0.75,
                Some(_) => 0.65,
            };
            cands.push(Candidate {
                start,
                end,
                kind: PersonalDataKind::Passport,
                score,
                reason: "passport number".into(),
            });
        }
    }

    pub(super) fn find_dobs(&self, text: &str, cands: &mut Vec<Candidate>) {
        for c in self.date.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), false) {
                continue;
            }
            let pick = |a: &str, b: &str, d: &str| {
                c.name(a)
                    .or_else(|| c.name(b))
                    .or_else(|| c.name(d))
                    .and_then(|x| x.as_str().parse::<u32>().ok())
            };
            let (Some(day), Some(month), Some(year)) = (
                pick("d", "d2", "d3"),
                pick("m", "m2", "m3"),
                pick("y", "y2", "y3"),
            ) else {
                continue;
            };
            if !valid_date(day, month, year) {
                continue;
            }
            // A date is only a date of birth when the text says so.
            let before = self.before(text, m.start());
            let score = match before.nearest {
                Some(Label::Dob) if before.gap <= 30 => 0.95,
                Some(Label::DobWeak) if before.gap <= 3 => 0.85,
                None => {
                    let after = self.after(text, m.end());
                    if after.nearest_is(Label::Dob) && after.gap <= 8 {
                        0.85
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Dob,
                score,
                reason: "date of birth".into(),
            });
        }
    }
}
