//! Staff users who sign in with a password (issue 14): what a username and a password may be.
//! Pure rules; the service hashes (argon2id) and stores.

use super::{Refusal, Role};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in bytes (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_BYTES: usize = 256;
/// The longest username, in bytes.
pub const MAX_USERNAME_LEN: usize = 32;
/// The longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// A username: 2 to 32 of `a-z 0-9 . _ -`, starting with a letter (so `role:username` never
/// reads as `role:token id`). Upper case is folded by the caller ([`normalize_username`]).
pub fn check_username(username: &str) -> Result<(), Refusal> {
    let ok = (2..=MAX_USERNAME_LEN).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Refusal::InvalidField(
            "a username is 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter".into(),
        ))
    }
}

/// A username as typed, folded to the stored form (trimmed, lower case).
pub fn normalize_username(typed: &str) -> String {
    typed.trim().to_ascii_lowercase()
}

/// A display name: 1 to 80 characters of text, no control characters.
pub fn check_display_name(name: &str) -> Result<(), Refusal> {
    let n = name.chars().count();
    if n == 0 || n > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Refusal::InvalidField(
            "a display name is 1 to 80 characters without control characters".into(),
        ));
    }
    Ok(())
}

/// The password policy: at least 12 characters, at most 256 bytes, not only one repeated
/// character, and not containing the username (in any case).
pub fn check_password(username: &str, password: &str) -> Result<(), Refusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Refusal::InvalidField(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Refusal::InvalidField(format!(
            "a password has at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(Refusal::InvalidField(
            "a password is not one character repeated".into(),
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(Refusal::InvalidField(
            "a password must not contain the username".into(),
        ));
    }
    Ok(())
}

/// The roles a staff user may have: every role but citizen (citizens do not sign in to the
/// console). An agency officer acts for exactly one agency; no other role is bound to one.
pub fn check_user_role(role: Role, agency: Option<&str>) -> Result<(), Refusal> {
    match (role, agency) {
        (Role::Citizen, _) => Err(Refusal::InvalidField(
            "a staff user is an admin, moderator, reviewer or agency_officer".into(),
        )),
        (Role::AgencyOfficer, None) => Err(Refusal::InvalidField(
            "an agency_officer user needs the agency it acts for (--agency)".into(),
        )),
        (Role::AgencyOfficer, Some(_)) => Ok(()),
        (_, Some(_)) => Err(Refusal::InvalidField(
            "only an agency_officer user is bound to an agency".into(),
        )),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["lan", "lan.nguyen", "a1", "mod_2-x"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "l",
            "5",
            "12",
            "Lan",
            "lan nguyen",
            "lân",
            "_lan",
            "a:b",
            &"a".repeat(33),
        ] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        assert_eq!(normalize_username("  Lan.Nguyen "), "lan.nguyen");
    }

    #[test]
    fn passwords() {
        assert!(check_password("lan", "mật khẩu dài đủ").is_ok());
        assert!(check_password("lan", "short").is_err());
        assert!(check_password("lan", "elevenchars").is_err());
        assert!(check_password("lan", "twelve chars").is_ok());
        assert!(check_password("lan", "aaaaaaaaaaaaaaaa").is_err());
        assert!(check_password("lan", "my name is LAN, ok").is_err());
        assert!(check_password("lan", &"ab".repeat(129)).is_err());
    }

    #[test]
    fn roles() {
        assert!(check_user_role(Role::Moderator, None).is_ok());
        assert!(check_user_role(Role::Citizen, None).is_err());
        assert!(check_user_role(Role::AgencyOfficer, None).is_err());
        assert!(check_user_role(Role::AgencyOfficer, Some("x")).is_ok());
        assert!(check_user_role(Role::Admin, Some("x")).is_err());
    }

    #[test]
    fn a_user_is_named_by_username() {
        let a = super::super::Actor::of_user(Role::Moderator, "lan", None);
        assert_eq!(a.name(), "moderator:lan");
        assert_eq!(
            super::super::Actor::new(Role::Moderator, 5).name(),
            "moderator:5"
        );
    }
}
