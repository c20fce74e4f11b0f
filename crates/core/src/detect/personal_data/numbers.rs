//! Bare number tokens: CCCD, CMND, tax code, bank card and bank account, told apart by their
//! structure and the labels around them.

use super::checks::{cccd_info, luhn_valid, mst_valid, NumShape};
use super::context::{after_window, left_ok, number_tokens, right_ok, unit_follows};
use super::{Candidate, Label, PersonalDataDetector};
use crate::finding::PersonalDataKind;

impl PersonalDataDetector {
    /// Bare number tokens: CCCD, CMND, tax code, bank card, bank account.
    pub(super) fn find_numbers(&self, text: &str, cands: &mut Vec<Candidate>) {
        for (start, end) in number_tokens(text) {
            if end - start < 6 {
                continue;
            }
            if !left_ok(text, start) || !right_ok(text, end, false) {
                continue;
            }
            if let Some(c) = self.classify_number(text, start, end) {
                cands.push(c);
                continue;
            }
            // "CCCD 001090012345 0912345678": a space may also just separate two numbers.
            let token = &text[start..end];
            if token.contains(' ') {
                let mut off = start;
                for piece in token.split(' ') {
                    let (s, e) = (off, off + piece.len());
                    off = e + 1;
                    if piece.len() >= 6 {
                        if let Some(c) = self.classify_number(text, s, e) {
                            cands.push(c);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn classify_number(
        &self,
        text: &str,
        start: usize,
        end: usize,
    ) -> Option<Candidate> {
        let shape = NumShape::parse(&text[start..end])?;
        let n = shape.n;
        if !(6..=19).contains(&n) {
            return None;
        }
        // Grouped numbers need real groups: "1 2 3 4 5 6" is not an identifier.
        if shape.ngroups > 1 && shape.groups().iter().any(|&g| g < 2) {
            return None;
        }
        let after_text = after_window(text, end);
        if unit_follows(after_text) {
            return None;
        }
        let before = self.before(text, start);
        if before.nearest_is(Label::NotPersonal) {
            return None;
        }
        // Thousands grouping means an amount, except right after an ID label: nobody writes
        // an amount after "CMND", but some write "CMT 186.543.210".
        let id_label = matches!(before.nearest, Some(Label::Cmnd | Label::Cccd)) && before.gap <= 3;
        if shape.money_like() && !id_label {
            return None;
        }
        let d = shape.digits();
        let mk = |kind, score: f32, reason: String| {
            Some(Candidate {
                start,
                end,
                kind,
                score,
                reason,
            })
        };
        let cccd = cccd_info(d);
        // The number's structure is checked (province code, a past birth year), but what it
        // encodes is not written out: the note would add the holder's birthplace, sex and
        // birth year to the personal data it points at.
        let cccd_reason = |_: (u16, bool, u32)| {
            "CCCD number (valid province code and birth-year digits)".to_string()
        };
        let tax_ok = (n == 10 && mst_valid(d))
            || ((shape.tax_branch_shape() || (n == 13 && shape.ngroups == 1)) && mst_valid(d));
        let card_ok = (16..=19).contains(&n) && d.starts_with(&[9, 7, 0, 4]) && luhn_valid(d);

        // A NAPAS card is self-validating (prefix + Luhn), whatever the label says.
        if card_ok {
            let labelled = matches!(
                before.nearest,
                Some(Label::Card | Label::Bank | Label::BankWeak)
            );
            let score = if labelled { 0.98 } else { 0.93 };
            return mk(
                PersonalDataKind::BankCard,
                score,
                "domestic bank card number (NAPAS 9704, Luhn valid)".into(),
            );
        }

        // Other card networks (Visa 4…, Mastercard 5…/2…, JCB 35…, Amex 3…): Luhn alone is too
        // weak for a bare number, so only under a card label.
        if before.nearest_is(Label::Card)
            && (13..=19).contains(&n)
            && matches!(d[0], 2..=6)
            && luhn_valid(d)
        {
            return mk(
                PersonalDataKind::BankCard,
                0.92,
                "payment card number (Luhn valid, labelled)".into(),
            );
        }

        // The nearest label decides.
        match before.nearest {
            Some(Label::Bank) if (6..=19).contains(&n) => {
                return mk(
                    PersonalDataKind::BankAccount,
                    0.95,
                    "bank account number (labelled)".into(),
                );
            }
            Some(Label::BankWeak) if (9..=19).contains(&n) => {
                return mk(
                    PersonalDataKind::BankAccount,
                    0.9,
                    "bank account number (labelled)".into(),
                );
            }
            Some(Label::Tax) if tax_ok => {
                return mk(
                    PersonalDataKind::TaxCode,
                    0.97,
                    "tax code (MST, valid check digit)".into(),
                );
            }
            Some(Label::Tax) if cccd.is_some() => {
                // Since 1 Jul 2025 the CCCD number is also the personal tax code.
                return mk(PersonalDataKind::Cccd, 0.93, cccd_reason(cccd?));
            }
            // "CCCD/CMND: <valid CCCD>": both labels, the structure decides.
            Some(Label::Cmnd) if before.has(Label::Cccd) && cccd.is_some() => {
                return mk(PersonalDataKind::Cccd, 0.95, cccd_reason(cccd?));
            }
            Some(Label::Cmnd) if n == 9 || n == 12 => {
                return mk(
                    PersonalDataKind::Cmnd,
                    0.95,
                    format!("CMND number ({n} digits, labelled)"),
                );
            }
            Some(Label::Cccd) if cccd.is_some() => {
                return mk(PersonalDataKind::Cccd, 0.98, cccd_reason(cccd?));
            }
            Some(Label::Cccd) if n == 9 => {
                // An old 9-digit ID written under a "CCCD" label.
                return mk(
                    PersonalDataKind::Cmnd,
                    0.9,
                    "CMND number (9 digits, ID label)".into(),
                );
            }
            _ => {}
        }

        // A label further away in the same clause ("Số CMND/CCCD: …").
        if before.has(Label::Cmnd) && n == 9 {
            return mk(
                PersonalDataKind::Cmnd,
                0.92,
                "CMND number (9 digits, labelled)".into(),
            );
        }
        if before.has(Label::Cccd) {
            if let Some(info) = cccd {
                return mk(PersonalDataKind::Cccd, 0.95, cccd_reason(info));
            }
        }
        if before.has(Label::Tax) && tax_ok {
            return mk(
                PersonalDataKind::TaxCode,
                0.93,
                "tax code (MST, valid check digit)".into(),
            );
        }

        // No deciding label before: structure alone, or a label written after the number.
        if let Some(info) = cccd {
            // Valid province and a past birth year; still unlabelled, so a lower score.
            return mk(PersonalDataKind::Cccd, 0.85, cccd_reason(info));
        }
        if shape.tax_branch_shape() && tax_ok {
            return mk(
                PersonalDataKind::TaxCode,
                0.85,
                "tax code with branch suffix (valid check digit)".into(),
            );
        }
        if before.nearest.is_some() {
            return None;
        }
        let after = self.labels_in(after_text, false);
        if after.gap > 12 {
            return None;
        }
        match after.nearest {
            Some(Label::Bank) if (6..=19).contains(&n) => mk(
                PersonalDataKind::BankAccount,
                0.85,
                "bank account number (bank named after it)".into(),
            ),
            Some(Label::Cmnd | Label::Cccd) if n == 9 || n == 12 => mk(
                PersonalDataKind::Cmnd,
                0.85,
                format!("CMND number ({n} digits, labelled after)"),
            ),
            Some(Label::Tax) if tax_ok => mk(
                PersonalDataKind::TaxCode,
                0.9,
                "tax code (MST, valid check digit)".into(),
            ),
            _ => None,
        }
    }
}
