//! `quytac serve --demo`: example posts, a report, a takedown and a decision, agencies,
//! inquiries and a consultation, so the console has something to show. Prints the tokens it
//! creates. On a database that already holds the demo (a second start on the same file) the
//! data is left as it is and only new tokens are made.

use crate::auth::Role;
use crate::state::AppState;
use quytac_service::tokens::{self, NewToken};

/// The agency the demo's agency-officer token acts for (registered by the identity demo as a
/// competent authority).
const DEMO_OFFICER_AGENCY: &str = quytac_service::identity::DEMO_AUTHORITY;

/// What loading the demo did.
pub struct Demo {
    /// One token per role, (role, token text).
    pub tokens: Vec<(Role, String)>,
    /// Staff users who sign in with a password, with the passwords made for this start.
    pub users: Vec<DemoUser>,
    /// Whether the data was already there from an earlier start.
    pub already_loaded: bool,
    /// The demo posts Decree 147 refused under the active pack (ND-1, ND-4): (post, finding).
    pub refused: Vec<quytac_service::demo::DemoRefusal>,
}

/// A demo staff user and the password it was given (printed, like the demo tokens).
pub struct DemoUser {
    pub role: Role,
    pub username: &'static str,
    pub password: String,
}

/// The demo's staff users: (role, username, display name).
const DEMO_USERS: [(Role, &str, &str); 3] = [
    (Role::Admin, "quan.tri", "Lê Quản Trị"),
    (Role::Moderator, "lan", "Nguyễn Thị Lan"),
    (Role::Reviewer, "minh", "Trần Văn Minh"),
];

/// Makes the demo users with fresh random passwords (a user already there gets a new one).
async fn demo_users(state: &AppState) -> anyhow::Result<Vec<DemoUser>> {
    use rand::RngCore;
    let mut users = Vec::new();
    for (role, username, name) in DEMO_USERS {
        let mut raw = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let password = hex::encode(raw);
        let exists = state.store.user_by_username(username).await?.is_some();
        if exists {
            state
                .service
                .reset_password("demo", username, &password)
                .await?;
        } else {
            let new = quytac_service::users::NewUser {
                username: username.to_string(),
                display_name: name.to_string(),
                role,
                agency: None,
                password: password.clone(),
            };
            state.service.add_user("demo", &new).await?;
        }
        users.push(DemoUser {
            role,
            username,
            password,
        });
    }
    Ok(users)
}

/// Loads the demo data unless it is already there; makes one token per role.
pub async fn load(state: &AppState) -> anyhow::Result<Demo> {
    let already_loaded = state.service.demo_loaded().await?;
    let mut refused = Vec::new();
    if !already_loaded {
        // Identity first: it registers the agencies the others hang their data off (the
        // moderation demo's takedown is filed by its competent authority).
        state.service.load_identity_demo().await?;
        refused = state.service.load_moderation_demo().await?;
        state.service.load_inquiries_demo().await?;
        state.service.load_consultations_demo().await?;
    }
    // One token per role; the agency officer acts for the demo's verified agency.
    let mut tokens = Vec::new();
    for role in Role::ALL.iter().copied() {
        let new = NewToken {
            role,
            label: format!("demo {role}"),
            agency: (role == Role::AgencyOfficer).then(|| DEMO_OFFICER_AGENCY.to_string()),
            expires_in: None,
            // The citizen speaks for the author of the demo's decided post, so they can
            // appeal it (only a post's author appeals).
            account: (role == Role::Citizen).then(|| quytac_service::demo::DEMO_AUTHOR.to_string()),
        };
        let token = tokens::create_token(&state.store, &new, "demo").await?;
        tokens.push((role, token));
    }
    let users = demo_users(state).await?;
    Ok(Demo {
        tokens,
        users,
        already_loaded,
        refused,
    })
}
