//! E-mail addresses and phone numbers (mobile and landline).

use super::context::{each_match, left_ok, left_ok_spaced, next_char, prev_char, right_ok};
use super::{Candidate, Label, PersonalDataDetector};
use crate::finding::PersonalDataKind;

/// How a mobile number with a split prefix is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SplitPhone {
    /// "09.12.34.56.78", "09 12 34 56 78", "09-12-34-56-78".
    Pairs,
    /// "0 9 8 7 6 5 4 3 2 1".
    Digits,
}

/// Whether a `phone_split` match is a mobile number: one separator used throughout (a date
/// range such as "07.09-20.23.05" mixes them), groups that are all pairs after the leading
/// "0x" or all single digits, and a mobile prefix (RULES.md) on the digits. Dates
/// ("12.03.2024"), versions ("1.2.3") and prices ("120.000") have too few digits or the wrong
/// groups, so they never reach here.
pub(super) fn split_phone_shape(s: &str) -> Option<SplitPhone> {
    let body = s.strip_prefix("+84").unwrap_or(s);
    let mut seps = body.bytes().filter(|b| !b.is_ascii_digit());
    let first = seps.next()?;
    if seps.any(|b| b != first) {
        return None;
    }
    let groups: Vec<usize> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let shape = if groups.iter().all(|&g| g == 1) {
        SplitPhone::Digits
    } else if groups.iter().all(|&g| g == 2) && !s.starts_with('+') {
        SplitPhone::Pairs
    } else {
        return None;
    };
    let digits: Vec<u8> = body.bytes().filter(u8::is_ascii_digit).collect();
    // The national significant number: after the trunk zero, or all of it after +84.
    let nsn = if s.starts_with('+') {
        &digits[..]
    } else {
        digits.get(1..)?
    };
    if nsn.len() != 9 {
        return None;
    }
    let ok = matches!(
        (nsn[0], nsn[1]),
        (b'3', b'2'..=b'9')
            | (b'5', b'2' | b'6' | b'8' | b'9')
            | (b'7', b'0' | b'6'..=b'9')
            | (b'8', b'1'..=b'9')
            | (b'9', b'0'..=b'4' | b'6'..=b'9')
    );
    ok.then_some(shape)
}

impl PersonalDataDetector {
    /// The score of a mobile number at `start..end` from the labels around it; `None` when
    /// a label says the number is not personal ("giá", "mã đơn hàng").
    fn mobile_score(&self, text: &str, start: usize, end: usize) -> Option<f32> {
        let before = self.before(text, start);
        Some(match before.nearest {
            Some(Label::NotPersonal) => return None,
            Some(Label::Phone) => 0.97,
            // Another identifier's label ("STK", "MST"): still a phone shape, but a labelled
            // reading of the same digits should win.
            Some(Label::Cccd | Label::Cmnd | Label::Tax | Label::Bank | Label::BankWeak)
            | Some(Label::Card | Label::Passport) => 0.7,
            _ if self.after(text, end).nearest_is(Label::Phone) => 0.95,
            _ => 0.9,
        })
    }

    pub(super) fn find_emails(&self, text: &str, cands: &mut Vec<Candidate>) {
        for m in self.email.find_iter(text) {
            if prev_char(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '.') {
                continue;
            }
            if next_char(text, m.end()).is_some_and(|c| c.is_alphanumeric() || c == '@') {
                continue;
            }
            // "icon@2x.png": retina image names look like addresses.
            let tld = m
                .as_str()
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if matches!(
                tld.as_str(),
                "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "bmp" | "ico"
            ) {
                continue;
            }
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Email,
                score: 0.98,
                reason: "e-mail address".into(),
            });
        }
    }

    pub(super) fn find_phones(&self, text: &str, digits: usize, cands: &mut Vec<Candidate>) {
        each_match(&self.phone, text, |m| {
            let spaced = m.as_str().contains(' ');
            if !left_ok_spaced(text, m.start(), spaced) || !right_ok(text, m.end(), spaced) {
                return false;
            }
            let Some(score) = self.mobile_score(text, m.start(), m.end()) else {
                return false;
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Phone,
                score,
                reason: "mobile phone number".into(),
            });
            true
        });
        // Written to dodge a filter or to be read aloud: the mobile prefix itself is split.
        each_match(&self.phone_split, text, |m| {
            let Some(shape) = split_phone_shape(m.as_str()) else {
                return false;
            };
            let spaced = m.as_str().contains(' ');
            if !left_ok_spaced(text, m.start(), spaced) || !right_ok(text, m.end(), spaced) {
                return false;
            }
            let Some(score) = self.mobile_score(text, m.start(), m.end()) else {
                return false;
            };
            let (score, reason) = match shape {
                SplitPhone::Pairs => (score, "mobile phone number (written in pairs)"),
                // One digit at a time is how people hide a number from filters; without a
                // label it is a little less certain than a grouped number.
                SplitPhone::Digits => (score - 0.05, "mobile phone number (digit by digit)"),
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Phone,
                score,
                reason: reason.into(),
            });
            true
        });
        if digits < 11 || !text.contains('2') {
            return;
        }
        each_match(&self.landline, text, |m| {
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), m.as_str().contains(' ')) {
                return false;
            }
            let before = self.before(text, m.start());
            let labelled = before.nearest_is(Label::Phone)
                || (before.nearest.is_none() && self.after(text, m.end()).nearest_is(Label::Phone));
            let formatted = m.as_str().starts_with('(') || m.as_str().starts_with('+');
            // A bare 11-digit number starting 02 is as likely an order number as a landline.
            let score = if labelled {
                0.9
            } else if formatted && before.nearest.is_none() {
                0.8
            } else {
                return false;
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Phone,
                score,
                reason: "landline phone number".into(),
            });
            true
        });
    }
}
