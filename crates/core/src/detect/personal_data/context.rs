//! Text helpers shared by the recognisers: identifier boundaries, the context windows where
//! labels are looked for, number tokens and a regex loop that does not lose overlapping matches.

use regex::Regex;

use super::words::word_lists;
use super::{AFTER_CHARS, BEFORE_CHARS};

pub(super) fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

pub(super) fn next_char(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

pub(super) fn char_len_at(text: &str, at: usize) -> usize {
    next_char(text, at).map_or(1, char::len_utf8)
}

/// Left boundary of a number-like identifier: not inside a word, a longer number, a code
/// (`DH-123…`, `#123…`), a decimal (`12,5`) or a time (`14:30`).
pub(super) fn left_ok(text: &str, start: usize) -> bool {
    left_ok_spaced(text, start, false)
}

/// [`left_ok`], and when the identifier itself is written in space-separated groups, not
/// preceded by digit + space either: "2876 0786 9051 70" is one grouped number, not a phone
/// "0786 9051 70" after some digits.
pub(super) fn left_ok_spaced(text: &str, start: usize, spaced: bool) -> bool {
    let Some(p) = prev_char(text, start) else {
        return true;
    };
    if p.is_alphanumeric() || matches!(p, '_' | '#' | '@' | '+' | '$' | '&' | '=') {
        return false;
    }
    let pp = prev_char(text, start - p.len_utf8());
    match p {
        '.' | ',' | '-' | '/' | '\\' => !pp.is_some_and(|c| c.is_alphanumeric()),
        ':' => !pp.is_some_and(|c| c.is_ascii_digit()),
        ' ' if spaced => !pp.is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Right boundary: not followed by more of a word or number (`0912345678.5`, `…-123`, `%`).
/// `spaced`: the identifier itself contains spaces, so a following space + digit means it is
/// part of a longer grouped number.
pub(super) fn right_ok(text: &str, end: usize, spaced: bool) -> bool {
    let Some(c) = next_char(text, end) else {
        return true;
    };
    if c.is_alphanumeric() || matches!(c, '_' | '%' | '@') {
        return false;
    }
    let after = next_char(text, end + c.len_utf8());
    match c {
        '.' | ',' | '-' | '/' | ':' => !after.is_some_and(|a| a.is_ascii_digit()),
        ' ' if spaced => !after.is_some_and(|a| a.is_ascii_digit()),
        _ => true,
    }
}

/// Whether the text between two numbers only joins them into a list.
pub(super) fn is_joiner(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_whitespace() || ",;/-–&+()|".contains(c));
    if t.is_empty() {
        return true;
    }
    if t.len() > 6 {
        return false;
    }
    matches!(
        t.to_lowercase().as_str(),
        "hoặc" | "hoac" | "hay" | "và" | "va" | "or" | "and"
    )
}

/// Start of the context segment ending at `end`: back to the previous number of 3 digits or
/// more (exclusive) or [`BEFORE_CHARS`] chars. The flag tells whether it stopped at a number.
/// One- and two-digit runs do not cut the segment: they belong to label phrases ("CMND 12 số:",
/// "Zalo 24/7:"), not to identifiers.
pub(super) fn segment_start(text: &str, end: usize) -> (usize, bool) {
    let mut a = end;
    let mut run = 0; // length of the digit run being walked over
    let mut run_end = end;
    for (n, (i, c)) in text[..end].char_indices().rev().enumerate() {
        if c.is_ascii_digit() {
            if run == 0 {
                run_end = i + 1;
            }
            run += 1;
            if run >= 3 {
                return (run_end, true);
            }
        } else {
            run = 0;
        }
        if n >= BEFORE_CHARS {
            return (a, false);
        }
        a = i;
    }
    (a, false)
}

/// The context window before byte `start`. When it only joins this number to a previous one
/// ("STK 123… hoặc 456…"), the window before that previous number is used instead, so list
/// items share their label.
pub(super) fn before_window(text: &str, start: usize) -> &str {
    let mut end = start;
    for hop in 0..3 {
        let (a, at_digit) = segment_start(text, end);
        if at_digit && hop < 2 && is_joiner(&text[a..end]) {
            // Skip back over the previous number (digits and the separators inside it).
            let mut b = a;
            for (i, c) in text[..a].char_indices().rev() {
                if c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '/') {
                    b = i;
                } else {
                    break;
                }
            }
            end = b;
            continue;
        }
        return &text[a..end];
    }
    &text[end..end]
}

/// The context window after byte `end`: up to the next ASCII digit or [`AFTER_CHARS`] chars.
pub(super) fn after_window(text: &str, end: usize) -> &str {
    let mut stop = text.len();
    for (n, (i, c)) in text[end..].char_indices().enumerate() {
        if n >= AFTER_CHARS || c.is_ascii_digit() {
            stop = end + i;
            break;
        }
    }
    &text[end..stop]
}

/// Whether `after` (the text right after a number) starts with a unit or currency word.
pub(super) fn unit_follows(after: &str) -> bool {
    let t = after.trim_start();
    if t.len() == after.len() && !after.is_empty() {
        // "350k", "500đ" are rejected by the right boundary; here only "350 k" etc. matter,
        // but "%"/"$" may touch the number.
        if !(t.starts_with('%') || t.starts_with('$')) {
            return false;
        }
    }
    let head: String = t.chars().take(12).flat_map(char::to_lowercase).collect();
    word_lists().units_after.iter().any(|u| {
        head.starts_with(u)
            && !head[u.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    })
}

/// Whether some plate could start in `b`: two digits, at most 3 spaces/dashes, then an
/// uppercase ASCII letter (the locality and series of every plate shape). A necessary
/// condition, so the plate regex runs only on texts that pass it.
pub(super) fn plate_start_exists(b: &[u8]) -> bool {
    b.windows(2).enumerate().any(|(i, w)| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && b[i + 2..]
                .iter()
                .take(4)
                .find(|&&c| c != b' ' && c != b'-')
                .is_some_and(u8::is_ascii_uppercase)
    })
}

/// Chars in a UTF-8 byte slice: every byte that does not continue a sequence starts one.
pub(super) fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Number tokens as byte ranges: digit runs joined by single spaces, dots or dashes
/// (`0912 345 678`, `1.250.000`, `0101234567-001`), maximal. A byte loop, because a regex
/// search per number costs more than the whole scan.
pub(super) fn number_tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        i += b[i.min(b.len())..].iter().position(u8::is_ascii_digit)?;
        let start = i;
        loop {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && matches!(b[i], b' ' | b'.' | b'-') && b[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        Some((start, i))
    })
}

/// A regex match loop that, when the callback rejects a match, resumes one char after its start
/// (not after its end), so a valid match that begins inside a rejected one is not lost.
pub(super) fn each_match(re: &Regex, text: &str, mut f: impl FnMut(regex::Match<'_>) -> bool) {
    let mut pos = 0;
    while pos <= text.len() {
        let Some(m) = re.find_at(text, pos) else {
            break;
        };
        pos = if f(m) {
            m.end().max(m.start() + 1)
        } else {
            m.start() + char_len_at(text, m.start())
        };
        while pos < text.len() && !text.is_char_boundary(pos) {
            pos += 1;
        }
    }
}
