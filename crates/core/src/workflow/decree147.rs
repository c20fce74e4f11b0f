//! The duties of Decree 147/2024/NĐ-CP the service enforces beyond ND-2 and ND-3:
//!
//! - **ND-1**: only authenticated accounts — a Vietnamese mobile number, or the 12-digit
//!   personal ID via VNeID — may post, comment, share or livestream. An account carries how it
//!   was authenticated ([`AuthMethod`]); [`may_write`] refuses a write by one that was not.
//! - **ND-4**: a user under 16 is registered and supervised by a parent or guardian;
//!   [`guardian_required`] tells when a date of birth needs a guardian record.
//! - **The 48-hour clock** of a user's complaint: a complaint (a user's report of a post) is
//!   handled — a decision on the reported post — within 48 hours of its receipt
//!   ([`COMPLAINT_DEADLINE_MS`], [`complaint_clock`]).
//!
//! A pack enforces ND-1 and ND-4 when it holds rules of those ids (`vn-147-2024`); under the
//! other packs these functions are not asked. Everything here is pure: the service reads the
//! account inside its write transaction and asks.

use super::{status_words, Refusal};
use crate::civil::days_from_civil;
use crate::rules::RulePack;
use serde::Serialize;

status_words! {
    /// How an account was authenticated (ND-1).
    #[derive(Default)]
    AuthMethod {
        /// A Vietnamese mobile number, confirmed by the provider.
        Mobile => "mobile",
        /// The 12-digit personal ID number, through VNeID.
        PersonalId => "personal_id",
        /// Not authenticated: the account may read but not write.
        #[default]
        None => "none",
    }
}

/// The age under which ND-4 asks for a parent or guardian.
pub const GUARDIAN_AGE: i64 = 16;

/// How long a provider has to handle a user's complaint.
pub const COMPLAINT_DEADLINE_MS: i64 = 48 * 3600 * 1000;

/// What ND-1 or ND-4 found on an account: the rule, and why, in both languages.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecreeFinding {
    pub rule: String,
    pub message_vi: String,
    pub message_en: String,
    pub evidence: String,
}

/// The digits of a Vietnamese mobile number written with spaces, dots or dashes and the
/// prefix `+84`, `84` or `0` (`0912 345 678`, `+84 912.345.678`), as ten digits from `0`;
/// `None` for anything else. Mobile prefixes: 3[2-9], 5[2689], 7[06-9], 8[1-9], 9[0-46-9].
pub fn mobile_number(s: &str) -> Option<String> {
    let t = s.trim();
    let (plus, rest) = match t.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, t),
    };
    if rest
        .chars()
        .any(|c| !(c.is_ascii_digit() || " .-".contains(c)))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(n) = digits.strip_prefix("84").filter(|n| n.len() == 9) {
        n
    } else if plus {
        return None;
    } else {
        digits.strip_prefix('0').filter(|n| n.len() == 9)?
    };
    let b = national.as_bytes();
    let ok = matches!(
        (b[0], b[1]),
        (b'3', b'2'..=b'9')
            | (b'5', b'2' | b'6' | b'8' | b'9')
            | (b'7', b'0' | b'6'..=b'9')
            | (b'8', b'1'..=b'9')
            | (b'9', b'0'..=b'4' | b'6'..=b'9')
    );
    ok.then(|| format!("0{national}"))
}

/// Whether `s` is a 12-digit personal ID number with a province code in use and a possible
/// century digit (`PPP G YY NNNNNN`).
pub fn is_personal_id(s: &str) -> bool {
    const PROVINCES: &[u16] = &[
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
        37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
        75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    ];
    let s = s.trim();
    s.len() == 12
        && s.bytes().all(|b| b.is_ascii_digit())
        && s[..3].parse::<u16>().is_ok_and(|p| PROVINCES.contains(&p))
        && s.as_bytes()[3] <= b'9'
}

/// Checks what an authentication names and returns what is kept of it: the method and the
/// last three digits (the number itself is not stored: the provider checked it, the service
/// only needs to know that it did). `none` takes no number.
pub fn check_authentication(
    method: AuthMethod,
    number: Option<&str>,
) -> Result<Option<String>, Refusal> {
    let last3 = |d: &str| format!("…{}", &d[d.len() - 3..]);
    match (method, number) {
        (AuthMethod::None, None) => Ok(None),
        (AuthMethod::None, Some(_)) => Err(Refusal::InvalidField(
            "`authentication.number` is given only with `mobile` or `personal_id`".into(),
        )),
        (AuthMethod::Mobile, Some(n)) => mobile_number(n)
            .map(|d| Some(last3(&d)))
            .ok_or_else(|| {
                Refusal::InvalidField(
                    "`authentication.number` is not a Vietnamese mobile number (0912 345 678, +84 912 345 678)".into(),
                )
            }),
        (AuthMethod::PersonalId, Some(n)) if is_personal_id(n) => Ok(Some(last3(n.trim()))),
        (AuthMethod::PersonalId, Some(_)) => Err(Refusal::InvalidField(
            "`authentication.number` is not a 12-digit personal ID number".into(),
        )),
        (_, None) => Err(Refusal::InvalidField(format!(
            "`authentication.number` is needed for `{method}`"
        ))),
    }
}

/// Whether the pack enforces ND-1 and ND-4 (it holds rules of those ids).
pub fn enforces(pack: &RulePack, rule: &str) -> bool {
    pack.rule(rule).is_some()
}

fn finding(pack: &RulePack, rule: &str, evidence: String) -> DecreeFinding {
    let (vi, en) = pack
        .rule(rule)
        .map(|r| (r.message_vi.clone(), r.message_en.clone()))
        .unwrap_or_default();
    DecreeFinding {
        rule: rule.into(),
        message_vi: vi,
        message_en: en,
        evidence,
    }
}

/// A date of birth `YYYY-MM-DD` as (year, month, day), if it is a real date.
pub fn parse_birth_date(s: &str) -> Option<(i64, i64, i64)> {
    let mut it = s.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1900..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (crate::civil::civil_from_days(days) == (y, m, d)).then_some((y, m, d))
}

/// Age in whole years on `today` (year, month, day) of someone born on `born`.
pub fn age_on(born: (i64, i64, i64), today: (i64, i64, i64)) -> i64 {
    let mut age = today.0 - born.0;
    if (today.1, today.2) < (born.1, born.2) {
        age -= 1;
    }
    age
}

/// ND-4: whether someone born on `born` needs a guardian record on `today`.
pub fn guardian_required(born: (i64, i64, i64), today: (i64, i64, i64)) -> bool {
    age_on(born, today) < GUARDIAN_AGE
}

/// What an account is, as ND-1 and ND-4 see it.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub handle: &'a str,
    pub auth: AuthMethod,
    pub birth_date: Option<(i64, i64, i64)>,
    pub has_guardian: bool,
}

/// The ND-1 and ND-4 findings on an account under `pack` on `today` (Vietnam date): ND-1
/// when it is not authenticated, ND-4 when it is under 16 without a guardian record.
pub fn account_findings(
    pack: &RulePack,
    a: &Standing<'_>,
    today: (i64, i64, i64),
) -> Vec<DecreeFinding> {
    let mut out = Vec::new();
    if enforces(pack, "ND-1") && a.auth == AuthMethod::None {
        out.push(finding(
            pack,
            "ND-1",
            format!(
                "tài khoản «{}» chưa xác thực bằng số điện thoại di động hoặc số định danh cá nhân \
                 / account `{}` is not authenticated by a mobile number or personal ID",
                a.handle, a.handle
            ),
        ));
    }
    if enforces(pack, "ND-4")
        && !a.has_guardian
        && a.birth_date.is_some_and(|b| guardian_required(b, today))
    {
        out.push(finding(
            pack,
            "ND-4",
            format!(
                "tài khoản «{}» của người dưới 16 tuổi chưa có cha, mẹ hoặc người giám hộ \
                 / account `{}` belongs to a user under 16 without a parent or guardian",
                a.handle, a.handle
            ),
        ));
    }
    out
}

/// ND-1 and ND-4 on a write (a post, a comment): refused when the account has any of
/// [`account_findings`], or when the author has no account at all (nothing says it was
/// authenticated). The refusal names the rule.
pub fn may_write(
    pack: &RulePack,
    author: &str,
    account: Option<&Standing<'_>>,
    today: (i64, i64, i64),
) -> Result<(), Refusal> {
    let findings = match account {
        Some(a) => account_findings(pack, a, today),
        None if enforces(pack, "ND-1") => vec![finding(
            pack,
            "ND-1",
            format!("«{author}» không có tài khoản đã xác thực / `{author}` has no authenticated account"),
        )],
        None => Vec::new(),
    };
    match findings.first() {
        None => Ok(()),
        Some(f) => Err(Refusal::Decree(f.clone())),
    }
}

status_words! {
    /// Where a user's complaint stands against its 48-hour clock.
    ComplaintClock {
        /// Not handled yet; the 48 hours are still running.
        Running => "running",
        /// Handled within 48 hours.
        OnTime => "on_time",
        /// Handled after 48 hours.
        Late => "late",
        /// Not handled and the 48 hours are over.
        Overdue => "overdue",
    }
}

/// When a complaint received at `received_at` (Unix ms) must be handled.
pub fn complaint_deadline(received_at: i64) -> i64 {
    received_at.saturating_add(COMPLAINT_DEADLINE_MS)
}

/// A complaint's clock: received at `received_at`, handled at `handled_at` (the decision on
/// the reported post), seen at `now`.
pub fn complaint_clock(received_at: i64, handled_at: Option<i64>, now: i64) -> ComplaintClock {
    let due = complaint_deadline(received_at);
    match handled_at {
        Some(h) if h <= due => ComplaintClock::OnTime,
        Some(_) => ComplaintClock::Late,
        None if now > due => ComplaintClock::Overdue,
        None => ComplaintClock::Running,
    }
}

/// The month `YYYY-MM` in Vietnam time (UTC+7) as Unix ms `[from, to)`, for the provider's
/// periodic report; `None` for anything else or a month before 2018.
pub fn month_bounds(s: &str) -> Option<(i64, i64)> {
    const DAY_MS: i64 = 86_400_000;
    const VN_OFFSET_MS: i64 = 7 * 3600 * 1000;
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i64 = y.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    if !(2018..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let start = days_from_civil(y, m, 1) * DAY_MS - VN_OFFSET_MS;
    let end = days_from_civil(ny, nm, 1) * DAY_MS - VN_OFFSET_MS;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * 1000;

    #[test]
    fn mobile_numbers_are_vietnamese_mobiles_however_written() {
        assert_eq!(mobile_number("0912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(
            mobile_number("+84 912.345.678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            mobile_number("84-912-345-678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(mobile_number("0321234567").as_deref(), Some("0321234567"));
        for bad in [
            "0212345678",  // landline prefix
            "0951234567",  // 95 is not a mobile prefix
            "091234567",   // nine digits
            "09123456789", // eleven
            "+1 912 345 678",
            "0912a45678",
            "",
        ] {
            assert_eq!(mobile_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn personal_ids_have_twelve_digits_and_a_province() {
        assert!(is_personal_id("001099012345"));
        assert!(is_personal_id("079203001234"));
        assert!(!is_personal_id("003099012345"), "003 is no province");
        assert!(!is_personal_id("00109901234"));
        assert!(!is_personal_id("00109901234x"));
    }

    #[test]
    fn only_the_last_digits_of_an_authentication_are_kept() {
        assert_eq!(
            check_authentication(AuthMethod::Mobile, Some("0912 345 678")),
            Ok(Some("…678".into()))
        );
        assert_eq!(
            check_authentication(AuthMethod::PersonalId, Some("001099012345")),
            Ok(Some("…345".into()))
        );
        assert_eq!(check_authentication(AuthMethod::None, None), Ok(None));
        assert!(check_authentication(AuthMethod::Mobile, None).is_err());
        assert!(check_authentication(AuthMethod::None, Some("0912345678")).is_err());
        assert!(check_authentication(AuthMethod::PersonalId, Some("0912345678")).is_err());
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on((2010, 6, 15), (2026, 6, 14)), 15);
        assert_eq!(age_on((2010, 6, 15), (2026, 6, 15)), 16);
        assert!(guardian_required((2010, 6, 15), (2026, 6, 14)));
        assert!(!guardian_required((2010, 6, 15), (2026, 6, 15)));
        assert_eq!(parse_birth_date("2010-02-29"), None);
        assert_eq!(parse_birth_date("2012-02-29"), Some((2012, 2, 29)));
        assert_eq!(parse_birth_date("1800-01-01"), None);
    }

    #[test]
    fn nd1_and_nd4_refuse_writes_only_under_the_2024_pack() {
        let nd = RulePack::builtin("vn-147-2024").unwrap();
        let old = RulePack::builtin("vn-2018-draft").unwrap();
        let today = (2026, 12, 6);
        let unauth = Standing {
            handle: "a",
            auth: AuthMethod::None,
            birth_date: None,
            has_guardian: false,
        };
        let child = Standing {
            auth: AuthMethod::Mobile,
            birth_date: Some((2012, 1, 1)),
            ..unauth
        };
        let adult = Standing {
            birth_date: Some((2000, 1, 1)),
            ..child
        };
        let guarded = Standing {
            has_guardian: true,
            ..child
        };
        let rule_of = |r: Result<(), Refusal>| match r {
            Err(Refusal::Decree(f)) => f.rule,
            other => panic!("{other:?}"),
        };
        assert_eq!(rule_of(may_write(&nd, "a", Some(&unauth), today)), "ND-1");
        assert_eq!(rule_of(may_write(&nd, "a", None, today)), "ND-1");
        assert_eq!(rule_of(may_write(&nd, "a", Some(&child), today)), "ND-4");
        assert!(may_write(&nd, "a", Some(&adult), today).is_ok());
        assert!(may_write(&nd, "a", Some(&guarded), today).is_ok());
        for s in [&unauth, &child] {
            assert!(may_write(&old, "a", Some(s), today).is_ok());
        }
        assert!(may_write(&old, "a", None, today).is_ok());
        let f = account_findings(&nd, &unauth, today);
        assert_eq!(f.len(), 1);
        assert!(f[0].message_vi.contains("xác thực"), "{f:?}");
    }

    #[test]
    fn a_month_runs_in_vietnam_time() {
        let (from, to) = month_bounds("2026-11").unwrap();
        // 2026-11-01 00:00 at UTC+7 is 2026-10-31 17:00 UTC.
        assert_eq!(from, days_from_civil(2026, 10, 31) * 86_400_000 + 17 * H);
        assert_eq!(to - from, 30 * 86_400_000);
        let (_, to) = month_bounds("2026-12").unwrap();
        assert_eq!(to, days_from_civil(2026, 12, 31) * 86_400_000 + 17 * H);
        for bad in ["2026-13", "2026-1", "26-11", "2017-12", "x", "2026-11-01"] {
            assert_eq!(month_bounds(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_complaint_has_48_hours() {
        let t = 1_000 * H;
        assert_eq!(complaint_deadline(t), t + 48 * H);
        assert_eq!(
            complaint_clock(t, None, t + 47 * H),
            ComplaintClock::Running
        );
        assert_eq!(
            complaint_clock(t, None, t + 49 * H),
            ComplaintClock::Overdue
        );
        assert_eq!(
            complaint_clock(t, Some(t + 48 * H), t + 99 * H),
            ComplaintClock::OnTime
        );
        assert_eq!(
            complaint_clock(t, Some(t + 48 * H + 1), t),
            ComplaintClock::Late
        );
    }
}
