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
}

impl Actor {
    pub fn new(role: Role, token_id: i64) -> Self {
        Actor {
            role,
            token_id,
            agency: None,
        }
    }

    /// The name recorded in the audit log and on decisions: `role:token id`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.role, self.token_id)
    }
}
