//! E-mail addresses and phone numbers (mobile and landline).

use super::context::{each_match, left_ok, left_ok_spaced, next_char, prev_char, right_ok};
use super::{Candidate, Label, PersonalDataDetector};
use crate::finding::PersonalDataKind;

impl PersonalDataDetector {
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
            let before = self.before(text, m.start());
            let score = match before.nearest {
                Some(Label::NotPersonal) => return false,
                Some(Label::Phone) => 0.97,
                // Another identifier's label ("STK", "MST"): still a phone shape, but a labelled
                // reading of the same digits should win.
                Some(Label::Cccd | Label::Cmnd | Label::Tax | Label::Bank | Label::BankWeak)
                | Some(Label::Card | Label::Passport) => 0.7,
                _ if self.after(text, m.end()).nearest_is(Label::Phone) => 0.95,
                _ => 0.9,
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
