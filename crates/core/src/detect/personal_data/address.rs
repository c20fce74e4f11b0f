//! Street and rural addresses: a small grammar of house numbers, lanes, streets, hamlets and
//! administrative units, anchored where an address may start.

use regex::Regex;

use super::context::{next_char, prev_char};
use super::words::word_lists;
use super::{Candidate, Label, PersonalDataDetector};
use crate::finding::PersonalDataKind;

/// Which part of an address a unit keyword introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// ngõ, ngách, hẻm, kiệt: with a number, as good as a house number.
    Lane,
    /// đường, phố.
    Street,
    /// thôn, xóm, ấp, tổ, khu phố, …
    Hamlet,
    /// phường, xã, quận, huyện, thị xã, thị trấn, thành phố, tỉnh.
    Admin,
}

pub(super) fn unit_of(keyword: &str) -> Option<Unit> {
    let k: String = keyword
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Some(match k.as_str() {
        "ngõ" | "ngách" | "hẻm" | "kiệt" => Unit::Lane,
        "đường" | "phố" => Unit::Street,
        "tổ dân phố" | "tdp" | "khu phố" | "kp" | "khu đô thị" | "kđt" | "tổ" | "khu" | "khối"
        | "thôn" | "xóm" | "ấp" | "bản" | "làng" => Unit::Hamlet,
        "phường" | "xã" | "thị trấn" | "thị xã" | "thành phố" | "quận" | "huyện" | "tỉnh"
        | "tp" | "tx" | "tt" | "p" | "q" | "f" => Unit::Admin,
        _ => return None,
    })
}

/// Compiled address grammar. Each regex is anchored and applied to the rest of the text.
pub(super) struct AddressGrammar {
    pub(super) anchor: Regex,
    pub(super) sep: Regex,
    pub(super) house: Regex,
    pub(super) unit: Regex,
    pub(super) abbr: Regex,
    pub(super) value_num: Regex,
    pub(super) name: Regex,
}

/// What an address parse found.
#[derive(Debug, Default)]
pub(super) struct AddressParse {
    pub(super) end: usize,
    pub(super) house: bool,
    pub(super) hamlet: bool,
    pub(super) street: bool,
    pub(super) admin: usize,
    pub(super) names: usize,
}

impl PersonalDataDetector {
    pub(super) fn find_addresses(&self, text: &str, cands: &mut Vec<Candidate>) {
        let g = &self.address;
        let mut pos = 0;
        while let Some(m) = g.anchor.find_at(text, pos) {
            pos = m.end();
            let start = m.start();
            if prev_char(text, start).is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.') {
                continue;
            }
            let first = text.as_bytes()[start];
            let bare_number = first.is_ascii_digit();
            // "số 12 …" is a house only where a place is expected: not in "Trường Tiểu học số 2
            // Nghĩa Tân" or "xe buýt số 32". "nhà số", "ngõ", "thôn" … say so themselves.
            let rest = &text[start..];
            let needs_place = bare_number
                || (["số", "Số", "SỐ"].iter().any(|k| rest.starts_with(k))
                    && !rest
                        .get(..10)
                        .is_some_and(|h| h.to_lowercase().starts_with("số nhà")));
            // Parse first: it is cheap and fails on almost every number. Context labels are
            // looked up only when the decision needs them.
            let Some(p) = self.parse_address(text, start, bare_number) else {
                continue;
            };
            let mut strong_cache = None;
            let mut strong = || {
                *strong_cache.get_or_insert_with(|| self.before(text, start).has(Label::Address))
            };
            let weak = place_word_before(text, start);
            // "Văn phòng: Tầng 5, tòa nhà X, 285 Cách Mạng Tháng Tám, …": an address label
            // earlier in the clause introduces the house number too.
            if needs_place && !weak && !clause_start_before(text, start) && !strong() {
                continue;
            }
            let valid = if p.house {
                p.admin >= 1 || p.names >= 2 || (weak && (p.names >= 1 || p.street)) || strong()
            } else if p.hamlet {
                p.admin >= 2 || (p.admin >= 1 && (weak || strong()))
            } else {
                false
            };
            if !valid {
                continue;
            }
            let score = if strong() {
                0.93
            } else if p.admin >= 1 {
                0.88
            } else {
                0.8
            };
            cands.push(Candidate {
                start,
                end: p.end,
                kind: PersonalDataKind::Address,
                score,
                reason: if p.house {
                    "street address (house number and locality)".into()
                } else {
                    "home address (hamlet and administrative units)".into()
                },
            });
            pos = p.end;
        }
    }

    /// Parses an address starting at `start`: a house number or unit, then components joined by
    /// spaces, commas or dashes. `bare`: it starts with a bare number, which must be followed
    /// directly by a street ("123 Nguyễn Trãi", "45 đường Láng").
    pub(super) fn parse_address(
        &self,
        text: &str,
        start: usize,
        bare: bool,
    ) -> Option<AddressParse> {
        let g = &self.address;
        let mut p = AddressParse::default();
        let mut pos;
        // After a house or lane number, a capitalised name with no keyword is the street.
        let mut street_may_follow;
        if let Some(m) = g.house.find(&text[start..]) {
            let e = start + m.end();
            if next_char(text, e).is_some_and(|c| c.is_alphanumeric()) {
                return None;
            }
            p.house = true;
            pos = e;
            street_may_follow = true;
        } else {
            let (e, unit) = self.unit_at(text, start)?;
            match unit {
                Unit::Lane => p.house = true,
                Unit::Hamlet => p.hamlet = true,
                _ => return None,
            }
            pos = e;
            street_may_follow = unit == Unit::Lane;
        }
        p.end = pos;
        let mut need_street = bare;
        for _ in 0..12 {
            let Some(sm) = g.sep.find(&text[pos..]) else {
                break;
            };
            let comma = sm.as_str().contains([',', ';', '-', '–']);
            let q = pos + sm.end();
            if let Some((e, unit)) = self.unit_at(text, q) {
                if need_street && (comma || !matches!(unit, Unit::Lane | Unit::Street)) {
                    return None;
                }
                need_street = false;
                match unit {
                    Unit::Lane => {
                        p.house = true;
                        street_may_follow = true;
                    }
                    Unit::Street => {
                        p.street = true;
                        street_may_follow = false;
                    }
                    Unit::Hamlet => {
                        p.hamlet = true;
                        street_may_follow = false;
                    }
                    Unit::Admin => {
                        p.admin += 1;
                        street_may_follow = false;
                    }
                }
                pos = e;
                p.end = e;
                continue;
            }
            let Some((e, words, name)) = self.name_at(text, q) else {
                break;
            };
            if !comma && street_may_follow {
                // "123 Nguyễn Trãi": a bare number needs a real street name, two words or more.
                if need_street && words < 2 {
                    return None;
                }
                need_street = false;
                p.street = true;
                street_may_follow = false;
            } else if comma && !need_street {
                if word_lists().provinces.contains(&name.to_lowercase()) {
                    p.admin += 1;
                } else {
                    p.names += 1;
                }
            } else {
                break;
            }
            pos = e;
            p.end = e;
        }
        if need_street {
            return None;
        }
        Some(p)
    }

    /// A unit keyword and its value at `at` ("phường 2", "quận Hai Bà Trưng", "P.13", "TP.HCM").
    pub(super) fn unit_at(&self, text: &str, at: usize) -> Option<(usize, Unit)> {
        let g = &self.address;
        let rest = &text[at..];
        if let Some(c) = g.abbr.captures(rest) {
            let m = c.get(0).expect("group 0");
            if c.name("v").is_some() {
                if !next_char(rest, m.end()).is_some_and(char::is_alphanumeric) {
                    return Some((at + m.end(), Unit::Admin));
                }
            } else if let Some((e, _, _)) = self.name_at(text, at + m.end()) {
                return Some((e, Unit::Admin));
            }
        }
        let c = g.unit.captures(rest)?;
        let kw = c.name("kw")?.as_str();
        let unit = unit_of(kw)?;
        let v = at + c.get(0)?.end();
        if let Some(m) = g.value_num.find(&text[v..]) {
            let e = v + m.end();
            if !next_char(text, e).is_some_and(char::is_alphanumeric) {
                return Some((e, unit));
            }
        }
        let (e, _, _) = self.name_at(text, v)?;
        Some((e, unit))
    }

    /// A capitalised name at `at` (up to 6 words), cut before any unit keyword: returns its
    /// end, word count and text.
    pub(super) fn name_at<'t>(&self, text: &'t str, at: usize) -> Option<(usize, usize, &'t str)> {
        let m = self.address.name.find(&text[at..])?;
        let mut end = at;
        let mut words = 0;
        let mut off = at;
        for w in m.as_str().split(' ') {
            // The first word is part of the name even when it is a keyword ("phường Phố Huế");
            // a later one starts the next component only if it reads as one ("Nguyễn Trãi
            // Phường 2", but not "Lý Thường Kiệt", "Tô Hiến Thành").
            if words > 0 && self.unit_at(text, off).is_some() {
                break;
            }
            end = off + w.len();
            off = end + 1;
            words += 1;
        }
        if words == 0 || next_char(text, end).is_some_and(char::is_alphanumeric) {
            return None;
        }
        Some((end, words, &text[at..end]))
    }
}

/// Whether `start` begins a clause: start of text, or after a colon, bracket, dash, line or
/// sentence break. A house number ("123 Nguyễn Trãi", "số 5 Lê Lợi") is tried there, or after a
/// place word ([`place_word_before`]); this keeps "năm 2020, quận 1 …" out.
pub(super) fn clause_start_before(text: &str, start: usize) -> bool {
    let head = text[..start].trim_end();
    head.chars().next_back().is_none_or(|last| {
        matches!(
            last,
            ':' | '(' | '\n' | '-' | '–' | '.' | '!' | '?' | '|' | '>'
        )
    })
}

/// Whether the word right before `start` introduces a place ("ở", "tại", "về", "đến", "gần", …).
pub(super) fn place_word_before(text: &str, start: usize) -> bool {
    let head = text[..start].trim_end();
    let word = head
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        word.as_str(),
        "ở" | "tại"
            | "về"
            | "đến"
            | "tới"
            | "chỉ"
            | "nhà"
            | "đ/c"
            | "đc"
            | "qua"
            | "vào"
            | "sang"
            | "gần"
            | "cạnh"
            | "diện"
    )
}
