//! Who acts: a role and, for tokens, the id the audit log names them by.

use super::status_words;

status_words! {
    /// The roles of CONTRACT.md, section 3.
    Role {
        Admin => "admin",
        Moderator => "moderator",
        Reviewer => "reviewer",
        AgencyOfficer => "agency_officer",
        Citizen => "citizen",
    }
}

impl Role {
    /// Staff of the platform: they see every case and may decide.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Moderator | Role::Reviewer)
    }
}

/// Someone taking a step of the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// The API token's id (0 for the service itself, e.g. the demo loader).
    pub token_id: i64,
    /// The agency an agency officer acts for.
    pub agency: Option<String>,
    /// The staff user signed in with a password (issue 14), by username; `None` for a
    /// token's caller. Names the actor in the audit log instead of the token id.
    pub user: Option<String>,
}

impl Actor {
    pub fn new(role: Role, token_id: i64) -> Self {
        Actor {
            role,
            token_id,
            agency: None,
            user: None,
        }
    }

    /// A staff user signed in with a password: no token (id 0), named by the username.
    pub fn of_user(role: Role, username: &str, agency: Option<String>) -> Self {
        Actor {
            role,
            token_id: 0,
            agency,
            user: Some(username.to_string()),
        }
    }

    /// The name recorded in the audit log and on decisions: `role:username` for a user
    /// (`moderator:lan`), `role:token id` for a token. A username always starts with a
    /// letter ([`super::staff::check_username`]), so the two never collide.
    pub fn name(&self) -> String {
        match &self.user {
            Some(u) => format!("{}:{u}", self.role),
            None => format!("{}:{}", self.role, self.token_id),
        }
    }
}
