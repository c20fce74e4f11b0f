//! Checks that the identifier formats of RULES.md give: CCCD structure, the MST check digit,
//! Luhn for cards, calendar dates.

use super::{CCCD_PROVINCES, REFERENCE_YEAR};

/// The digits and grouping of a number token such as `0912 345 678` or `0101234567-001`.
#[derive(Debug, Clone, Copy)]
pub(super) struct NumShape {
    pub(super) digits: [u8; 24],
    pub(super) n: usize,
    pub(super) groups: [u8; 8],
    pub(super) ngroups: usize,
    pub(super) has_space: bool,
    pub(super) has_dot: bool,
    pub(super) has_dash: bool,
}

impl NumShape {
    /// Parses digits separated by single spaces, dots or dashes. `None` when too long to be any
    /// identifier.
    pub(super) fn parse(raw: &str) -> Option<NumShape> {
        let mut s = NumShape {
            digits: [0; 24],
            n: 0,
            groups: [0; 8],
            ngroups: 1,
            has_space: false,
            has_dot: false,
            has_dash: false,
        };
        for b in raw.bytes() {
            match b {
                b'0'..=b'9' => {
                    if s.n == s.digits.len() {
                        return None;
                    }
                    s.digits[s.n] = b - b'0';
                    s.n += 1;
                    s.groups[s.ngroups - 1] += 1;
                }
                _ => {
                    if s.ngroups == s.groups.len() {
                        return None;
                    }
                    s.ngroups += 1;
                    match b {
                        b' ' => s.has_space = true,
                        b'.' => s.has_dot = true,
                        _ => s.has_dash = true,
                    }
                }
            }
        }
        Some(s)
    }

    pub(super) fn digits(&self) -> &[u8] {
        &self.digits[..self.n]
    }

    pub(super) fn groups(&self) -> &[u8] {
        &self.groups[..self.ngroups]
    }

    /// `1.250.000`, `12.000.000.000`: thousands grouping, so an amount or a count. Identifiers
    /// written with dots (`001.090.012.345`) start with 0, amounts never do.
    pub(super) fn money_like(&self) -> bool {
        self.has_dot
            && !self.has_space
            && !self.has_dash
            && self.ngroups >= 2
            && (1..=3).contains(&self.groups[0])
            && self.groups()[1..].iter().all(|&g| g == 3)
            && self.digits[0] != 0
    }

    /// `0101234567-001`: a tax code with a branch suffix.
    pub(super) fn tax_branch_shape(&self) -> bool {
        self.ngroups == 2 && self.groups[0] == 10 && self.groups[1] == 3 && self.has_dash
    }
}

/// CCCD structure: province code, century/sex digit, a birth year that has happened.
pub(super) fn cccd_info(d: &[u8]) -> Option<(u16, bool, u32)> {
    if d.len() != 12 {
        return None;
    }
    let province = d[0] as u16 * 100 + d[1] as u16 * 10 + d[2] as u16;
    if !CCCD_PROVINCES.contains(&province) {
        return None;
    }
    let g = d[3] as u32;
    let year = 1900 + 100 * (g / 2) + d[4] as u32 * 10 + d[5] as u32;
    if year > REFERENCE_YEAR {
        return None;
    }
    Some((province, g % 2 == 1, year))
}

/// MST check digit (RULES.md): d10 = 10 − (Σ wᵢ·dᵢ mod 11); a result of 10 means invalid.
pub(super) fn mst_valid(d: &[u8]) -> bool {
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    if d.len() < 10 {
        return false;
    }
    let sum: u32 = W.iter().zip(d).map(|(w, &x)| w * x as u32).sum();
    let check = 10 - sum % 11;
    check != 10 && check == d[9] as u32
}

/// Luhn checksum, used by domestic (NAPAS 9704) cards.
// `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub(super) fn luhn_valid(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = x as u32;
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

// `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub(super) fn valid_date(day: u32, month: u32, year: u32) -> bool {
    if !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    // Two-digit years ("12/3/90") are allowed; four-digit ones must be a past birth year.
    if year >= 100 && !(1900..=REFERENCE_YEAR).contains(&year) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let max = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= max
}
