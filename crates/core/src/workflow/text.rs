//! Free text written by people (statements of reasons, reports, appeals, questions, answers,
//! comments, names of things): one validator for all of them, and the rule that decides when a
//! citizen's text is refused.

use super::Refusal;
use crate::engine::CheckResult;
use crate::finding::{Category, Severity};

/// How a field is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextBounds {
    /// Whether an empty (or blank) value is refused.
    pub required: bool,
    /// The most characters (Unicode scalar values) after trimming.
    pub max_chars: usize,
    /// Whether line breaks and tabs are allowed: yes in prose, no in one-line fields (names,
    /// titles), where they only serve to forge layout.
    pub multiline: bool,
}

impl TextBounds {
    /// Prose of up to `max_chars`: line breaks and tabs allowed.
    pub const fn prose(max_chars: usize, required: bool) -> Self {
        TextBounds {
            required,
            max_chars,
            multiline: true,
        }
    }

    /// One line of up to `max_chars`.
    pub const fn line(max_chars: usize, required: bool) -> Self {
        TextBounds {
            required,
            max_chars,
            multiline: false,
        }
    }
}

/// Trims `value` and checks it against `bounds`: length, and no control characters other than
/// line breaks and tabs in prose (control characters hide text from reviewers and break the
/// CSV and HTML a text ends up in). Returns the trimmed text.
pub fn validate(field: &str, value: &str, bounds: TextBounds) -> Result<String, Refusal> {
    let v = value.trim();
    if bounds.required && v.is_empty() {
        return Err(Refusal::InvalidField(format!(
            "`{field}` không được để trống / `{field}` must not be empty"
        )));
    }
    let chars = v.chars().count();
    if chars > bounds.max_chars {
        return Err(Refusal::InvalidField(format!(
            "`{field}` dài quá {max} ký tự / `{field}` is longer than {max} characters ({chars})",
            max = bounds.max_chars
        )));
    }
    let allowed = |c: char| bounds.multiline && matches!(c, '\n' | '\r' | '\t');
    if let Some(c) = v.chars().find(|&c| c.is_control() && !allowed(c)) {
        return Err(Refusal::InvalidField(format!(
            "`{field}` chứa ký tự điều khiển U+{:04X} / `{field}` contains the control character U+{:04X}",
            c as u32, c as u32
        )));
    }
    Ok(v.to_string())
}

/// A citizen's text (a question to an agency, an answer, a comment on a consultation) is
/// refused when it breaks the code of conduct — except for personal data, which is no reason
/// to refuse: it is masked before anyone else sees it (AG-5).
pub fn refuse_unless_only_personal_data(result: &CheckResult) -> Result<(), Refusal> {
    let broken: Vec<String> = breaches_other_than_personal_data(result)
        .map(|f| format!("{} ({})", f.rule, f.category))
        .collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(Refusal::ContentRejected(format!(
            "Nội dung vi phạm quy tắc ứng xử nên không được lưu: {list} / the text breaks the \
             code of conduct: {list}; it was not stored",
            list = broken.join(", ")
        )))
    }
}

/// Whether a text must be withheld from the public (kept for the agency): the same test as
/// [`refuse_unless_only_personal_data`], for comments that are kept rather than refused.
pub fn withheld_from_public(result: &CheckResult) -> bool {
    breaches_other_than_personal_data(result).next().is_some()
}

fn breaches_other_than_personal_data(
    result: &CheckResult,
) -> impl Iterator<Item = &crate::finding::Finding> {
    result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Violation && f.category != Category::PersonalData)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::item::Item;

    #[test]
    fn bounds_trim_count_chars_and_refuse_control_characters() {
        let prose = TextBounds::prose(5, true);
        assert_eq!(validate("f", "  ứng  ", prose), Ok("ứng".to_string()));
        assert_eq!(validate("f", "ấấấấấ", prose), Ok("ấấấấấ".to_string()));
        assert!(validate("f", "ấấấấấấ", prose).is_err());
        assert!(validate("f", "   ", prose).is_err());
        assert_eq!(
            validate("f", "", TextBounds::prose(5, false)),
            Ok(String::new())
        );
        assert_eq!(validate("f", "a\nb\tc", prose), Ok("a\nb\tc".to_string()));
        assert!(validate("f", "a\nb", TextBounds::line(5, true)).is_err());
        for bad in ["a\u{0}b", "a\u{1b}b", "a\u{7f}b", "a\u{85}b"] {
            assert!(validate("f", bad, prose).is_err(), "{bad:?}");
        }
    }

    fn check(text: &str) -> CheckResult {
        let engine =
            Engine::new(crate::rules::RulePack::builtin(crate::rules::DEFAULT_PACK).unwrap());
        let item = Item::from_json(&format!(
            r#"{{"id":"q","text":{},"author":{{"id":"c","role":"citizen"}}}}"#,
            serde_json::to_string(text).unwrap()
        ))
        .unwrap();
        engine.check(&item)
    }

    #[test]
    fn personal_data_alone_is_no_reason_to_refuse_a_citizen() {
        let pd = check("Số điện thoại của tôi là 0912 345 678, xin cán bộ gọi lại.");
        assert!(pd
            .findings
            .iter()
            .any(|f| f.category == Category::PersonalData));
        assert_eq!(refuse_unless_only_personal_data(&pd), Ok(()));
        assert!(!withheld_from_public(&pd));
        let clean = check("Xin hỏi thủ tục cấp giấy phép xây dựng cần những gì?");
        assert_eq!(refuse_unless_only_personal_data(&clean), Ok(()));
        let hate = check("Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi");
        assert!(matches!(
            refuse_unless_only_personal_data(&hate),
            Err(Refusal::ContentRejected(_))
        ));
        assert!(withheld_from_public(&hate));
    }
}
