//! Masking of personal data (`quytac redact`, AG-5 public replies).
//!
//! Every `personal_data` span is masked with `•`, one bullet per char so the text keeps its
//! length and layout. To stay readable, separators inside the span (spaces, dots, dashes,
//! slashes, commas, brackets) are kept, and:
//!
//! * numbers (CCCD, CMND, phone, tax code, bank account/card, passport, plate) keep their last
//!   digits, as on a bank statement: 3 when the span has 9 digits or more, 2 for 5–8 digits,
//!   none below that (`0912 345 678` → `•••• ••• 678`);
//! * e-mail keeps the domain (`nguyen.van.a@gmail.com` → `••••••••••••@gmail.com`);
//! * addresses and dates of birth are masked completely (apart from separators).
//!
//! Overlapping spans of different kinds are merged and masked completely.

use crate::finding::{Category, Detection, PersonalDataKind};

/// The mask character.
pub const MASK: char = '•';

/// How one merged span is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Keep the last `n` ASCII digits.
    KeepDigits(usize),
    /// Keep from the `@` on.
    KeepDomain,
    /// Mask every letter and digit.
    All,
}

fn style_for(kind: Option<PersonalDataKind>, digits: usize) -> Style {
    use PersonalDataKind as K;
    match kind {
        Some(K::Email) => Style::KeepDomain,
        Some(K::Address | K::Dob) | None => Style::All,
        Some(_) if digits >= 9 => Style::KeepDigits(3),
        Some(_) if digits >= 5 => Style::KeepDigits(2),
        Some(_) => Style::All,
    }
}

/// Chars that stay visible inside a masked span, to keep its shape.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '/' | ',' | '(' | ')' | '+' | ':' | '–')
}

/// Returns `text` with every `personal_data` span of `detections` masked (see the module
/// documentation). Offsets are chars into `text`, end exclusive; out-of-range spans are
/// clamped, detections of other categories are ignored.
pub fn redact(text: &str, detections: &[Detection]) -> String {
    let n = text.chars().count();
    let mut spans: Vec<(usize, usize, Option<PersonalDataKind>)> = detections
        .iter()
        .filter(|d| d.category == Category::PersonalData)
        .map(|d| (d.start.min(n), d.end.min(n), d.kind))
        .filter(|(s, e, _)| s < e)
        .collect();
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_by_key(|s| (s.0, s.1));
    // Merge overlaps; differing kinds lose their kind (full mask).
    let mut merged: Vec<(usize, usize, Option<PersonalDataKind>)> = Vec::new();
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.0 < last.1 => {
                last.1 = last.1.max(s.1);
                if last.2 != s.2 {
                    last.2 = None;
                }
            }
            _ => merged.push(s),
        }
    }

    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 2 * merged.len());
    let mut i = 0;
    for (start, end, kind) in merged {
        out.extend(&chars[i..start]);
        let span = &chars[start..end];
        let digits = span.iter().filter(|c| c.is_ascii_digit()).count();
        match style_for(kind, digits) {
            Style::KeepDigits(keep) => {
                let mut seen = 0;
                for &c in span {
                    if c.is_ascii_digit() {
                        seen += 1;
                        out.push(if seen > digits - keep { c } else { MASK });
                    } else if is_separator(c) {
                        out.push(c);
                    } else {
                        out.push(MASK);
                    }
                }
            }
            Style::KeepDomain => {
                let at = span.iter().position(|&c| c == '@').unwrap_or(span.len());
                out.extend(std::iter::repeat_n(MASK, at));
                out.extend(&span[at..]);
            }
            Style::All => {
                for &c in span {
                    out.push(if is_separator(c) { c } else { MASK });
                }
            }
        }
        i = end;
    }
    out.extend(&chars[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::personal_data::PersonalDataDetector;

    fn redact_text(text: &str) -> String {
        let mut d = Vec::new();
        PersonalDataDetector::new().detect(text, &mut d);
        redact(text, &d)
    }

    #[test]
    fn phone_keeps_last_three_digits_and_shape() {
        assert_eq!(
            redact_text("Gọi em: 0912 345 678 nhé"),
            "Gọi em: •••• ••• 678 nhé"
        );
    }

    #[test]
    fn email_keeps_domain() {
        assert_eq!(
            redact_text("mail nguyen.van.a@gmail.com ạ"),
            "mail ••••••••••••@gmail.com ạ"
        );
    }

    #[test]
    fn cccd_and_address_and_dob() {
        let t = "CCCD 001090012345, sinh ngày 12/03/1990, trú tại số 5 Lê Lợi, phường 2, quận 3";
        let r = redact_text(t);
        assert!(r.starts_with("CCCD •••••••••345, sinh ngày ••/••/••••, trú tại "));
        assert!(!r.contains("Lê Lợi"));
        assert!(!r.contains("1990"));
        assert_eq!(r.chars().count(), t.chars().count());
    }

    #[test]
    fn plate_keeps_two_digits() {
        assert_eq!(
            redact_text("xe 30A-123.45 vượt đèn đỏ"),
            "xe •••-•••.45 vượt đèn đỏ"
        );
    }

    #[test]
    fn other_categories_and_bad_offsets_are_safe() {
        let t = "xin chào";
        let d = vec![
            Detection {
                category: Category::Offensive,
                start: 0,
                end: 3,
                score: 1.0,
                kind: None,
                reason: String::new(),
            },
            Detection {
                category: Category::PersonalData,
                start: 4,
                end: 99,
                score: 1.0,
                kind: None,
                reason: String::new(),
            },
            Detection {
                category: Category::PersonalData,
                start: 6,
                end: 2,
                score: 1.0,
                kind: Some(PersonalDataKind::Phone),
                reason: String::new(),
            },
        ];
        assert_eq!(redact(t, &d), "xin ••••");
        assert_eq!(redact(t, &[]), t);
    }

    #[test]
    fn overlapping_spans_of_different_kinds_are_fully_masked() {
        let t = "0912345678";
        let mk = |s, e, k| Detection {
            category: Category::PersonalData,
            start: s,
            end: e,
            score: 1.0,
            kind: Some(k),
            reason: String::new(),
        };
        let d = vec![
            mk(0, 10, PersonalDataKind::Phone),
            mk(2, 10, PersonalDataKind::TaxCode),
        ];
        assert_eq!(redact(t, &d), "••••••••••");
    }
}
