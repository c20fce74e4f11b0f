//! HTML that comes in (a Mastodon status, a profile note) as plain text, and HTML character
//! references ("&#7855;", "&agrave;") found inside plain text.
//!
//! The reference table and numeric decoding come from the `html-escape` crate, which carries
//! the whole WHATWG list of named references; writing that table by hand is how a decoder ends
//! up knowing `&amp;` but not `&#7855;`, which let "b&#7855;c kỳ" through (issue 13).

use std::borrow::Cow;

/// The longest reference we look at, in bytes: the longest named reference is 33 bytes
/// ("&CounterClockwiseContourIntegral;"), a numeric one with leading zeros a little more.
const MAX_REFERENCE_BYTES: usize = 40;

/// `s` with every complete character reference decoded (named, decimal and hexadecimal).
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    html_escape::decode_html_entities(s)
}

/// The character reference that starts at byte `at` of `text` (which must be a `&`): the byte
/// just past its `;` and what it decodes to. `None` when no complete, known reference starts
/// there ("AT&T", "a & b", "&foo;"). Only references closed by `;` count: the legacy forms
/// without it ("&amp" in running text) are too easily an ordinary ampersand.
pub fn reference_at(text: &str, at: usize) -> Option<(usize, String)> {
    let rest = text.get(at..)?;
    if !rest.starts_with('&') {
        return None;
    }
    let body = rest.as_bytes().get(1..)?;
    let first = *body.first()?;
    if !(first == b'#' || first.is_ascii_alphabetic()) {
        return None;
    }
    let semi = body
        .iter()
        .take(MAX_REFERENCE_BYTES)
        .position(|&b| b == b';' || !(b.is_ascii_alphanumeric() || b == b'#'))?;
    if body[semi] != b';' {
        return None;
    }
    let end = at + 1 + semi + 1;
    let reference = &text[at..end];
    let decoded = decode_entities(reference);
    if decoded == reference || decoded.contains('&') {
        return None;
    }
    Some((end, decoded.into_owned()))
}

/// An HTML fragment as the text a reader sees: tags removed, a line break for each paragraph
/// and `<br>`, then every character reference decoded. Decoding comes after the tags are gone,
/// so an escaped "&lt;b&gt;" stays visible text instead of turning into a tag.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = &rest[lt..];
            break;
        };
        let tag = rest[lt + 1..lt + gt]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let block = tag.starts_with("br") || tag == "p" || tag.starts_with("p ");
        if block && !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    // A no-break space is a space to a reader, and to the detectors' word boundaries.
    decode_entities(&out)
        .replace('\u{a0}', " ")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn html_becomes_text() {
        for (html, text) in [
            (
                "<p>Xin ch&agrave;o</p><p>a &amp; b<br>c</p>",
                "Xin chào\na & b\nc",
            ),
            ("a < b", "a < b"),
            ("<p>bọn b&#7855;c kỳ</p>", "bọn bắc kỳ"),
            ("b&#x1EAF;c k&#7923;", "bắc kỳ"),
            ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
            ("a&nbsp;b &quot;c&quot; &#39;d&#39;", "a b \"c\" 'd'"),
            ("<pre>x</pre>", "x"),
            ("AT&T &unknown; &#;", "AT&T &unknown; &#;"),
        ] {
            assert_eq!(html_to_text(html), text, "{html}");
        }
    }

    #[test]
    fn references_in_text() {
        let t = "b&#7855;c &agrave; & &#x1EAF; &foo; &#99999999; &amp";
        let at = |needle: &str| t.find(needle).unwrap();
        assert_eq!(
            reference_at(t, at("&#7855;")),
            Some((at("&#7855;") + 7, "ắ".to_string()))
        );
        assert_eq!(reference_at(t, at("&agrave;")).unwrap().1, "à");
        assert_eq!(reference_at(t, at("&#x1EAF;")).unwrap().1, "ắ");
        assert_eq!(reference_at(t, at("& ")), None);
        assert_eq!(reference_at(t, at("&foo;")), None);
        assert_eq!(reference_at(t, t.rfind("&amp").unwrap()), None);
        assert_eq!(reference_at(t, 0), None);
        assert_eq!(reference_at(t, t.len()), None);
    }

    proptest! {
        #[test]
        fn decoding_never_panics(s in "(&#?x?[0-9a-zA-Z]{0,8};?|<[a-z/ ]{0,5}>?|\\PC){0,30}") {
            let text = html_to_text(&s);
            prop_assert!(!text.contains('<') || s.contains('<') || s.contains("&lt") || s.contains("&#"));
            for (i, _) in s.char_indices() {
                if let Some((end, decoded)) = reference_at(&s, i) {
                    prop_assert!(end <= s.len() && end > i && s.is_char_boundary(end));
                    prop_assert!(!decoded.is_empty());
                }
            }
        }
    }
}
