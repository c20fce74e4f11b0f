//! Identity: agencies and their verified pages (AG-1..AG-3), domain challenges, badges, accounts and
//! staff vouching (CS-1..CS-3), public verification and the directory.

use super::{r, Access::*, Route, ALL};
use crate::api::identity::{accounts, agencies, badges, challenges, vouching};
use crate::auth::Role::*;
use crate::web::identity as page;
use axum::routing::{delete, get, patch, post};
use quytac_core::identity::badge::KeySet;
use quytac_service::identity::accounts::{
    AccountChanged, AccountShown, ChangeAccount, RegisterAccount,
};
use quytac_service::identity::agencies::{AgencyShown, ChangeAgency, RegisterAgency};
use quytac_service::identity::badges::{
    BadgeIssued, BadgeRevoked, IssueBadge, RevocationsDocument,
};
use quytac_service::identity::challenges::{
    ChallengeOpened, ChallengeVerified, OpenChallenge, VerifyChallenge,
};
use quytac_service::identity::vouching::{
    HandleVerification, VouchForStaff, VouchRevoked, Vouched,
};
use quytac_service::identity::Revoke;

pub(super) fn routes() -> Vec<Route> {
    vec![
        // Agencies and their pages.
        r(
            "POST",
            "/v1/agencies",
            Api(&[Admin]),
            "Register an agency: id, name, official domain, page handle, responsible persons",
            post(agencies::create_agency),
        )
        .body::<RegisterAgency>()
        .returns::<AgencyShown>(201),
        r(
            "GET",
            "/v1/agencies/{id}",
            Api(ALL),
            "An agency with its page verification and AG-1..AG-3 findings",
            get(agencies::show_agency),
        )
        .path_param::<String>("id")
        .returns::<AgencyShown>(200),
        r(
            "PATCH",
            "/v1/agencies/{id}",
            Api(&[Admin, AgencyOfficer]),
            "Change name, official domain, page handle or responsible persons (an agency officer: its own agency); a new domain or handle revokes the badge",
            patch(agencies::update_agency),
        )
        .path_param::<String>("id")
        .body::<ChangeAgency>()
        .returns::<AgencyShown>(200),
        r(
            "POST",
            "/v1/agencies/{id}/domain-challenge",
            Api(&[Admin, AgencyOfficer]),
            "Open a domain challenge (`method`: well_known or dns); returns the token and where to publish it",
            post(challenges::create_challenge),
        )
        .path_param::<String>("id")
        .body::<OpenChallenge>()
        .returns::<ChallengeOpened>(201),
        r(
            "POST",
            "/v1/agencies/{id}/domain-challenge/verify",
            Api(&[Admin, AgencyOfficer]),
            "Fetch the published token (https://DOMAIN/.well-known/quytac-challenge.txt or DNS TXT) and record the result",
            post(challenges::verify_challenge),
        )
        .path_param::<String>("id")
        .body::<VerifyChallenge>()
        .returns::<ChallengeVerified>(200),
        r(
            "POST",
            "/v1/agencies/{id}/badge",
            Api(&[Admin, Reviewer]),
            "Approve the verified page: issue a badge signed with Ed25519 (needs a verified domain challenge)",
            post(badges::issue_badge),
        )
        .path_param::<String>("id")
        .body::<IssueBadge>()
        .returns::<BadgeIssued>(201),
        r(
            "DELETE",
            "/v1/agencies/{id}/badge",
            Api(&[Admin, Reviewer]),
            "Revoke the agency's badge, with a `reason`",
            delete(badges::revoke_badge),
        )
        .path_param::<String>("id")
        .query::<Revoke>()
        .body::<Revoke>()
        .returns::<BadgeRevoked>(200),
        // Accounts and vouching.
        r(
            "POST",
            "/v1/accounts",
            Api(&[Admin, Moderator]),
            "Register an account: handle, display name, role, workplace, photo (base64) or photo hash",
            post(accounts::create_account),
        )
        .body::<RegisterAccount>()
        .returns::<AccountShown>(201),
        r(
            "GET",
            "/v1/accounts/{handle}",
            Api(ALL),
            "An account with its attestations and CS-1..CS-3 findings",
            get(accounts::show_account),
        )
        .path_param::<String>("handle")
        .returns::<AccountShown>(200),
        r(
            "PATCH",
            "/v1/accounts/{handle}",
            Api(&[Admin, Moderator]),
            "Change an account; a new display name or photo stops its attestations counting until re-vouched",
            patch(accounts::update_account),
        )
        .path_param::<String>("handle")
        .body::<ChangeAccount>()
        .returns::<AccountChanged>(200),
        r(
            "POST",
            "/v1/agencies/{id}/staff",
            Api(&[Admin, AgencyOfficer]),
            "The agency vouches that an account is its staff member (legal name, position): a signed attestation",
            post(vouching::vouch),
        )
        .path_param::<String>("id")
        .body::<VouchForStaff>()
        .returns::<Vouched>(201),
        r(
            "DELETE",
            "/v1/agencies/{id}/staff/{handle}",
            Api(&[Admin, AgencyOfficer]),
            "Revoke the agency's attestation for an account, with a `reason`",
            delete(vouching::revoke_vouch),
        )
        .path_param::<String>("id")
        .path_param::<String>("handle")
        .query::<Revoke>()
        .body::<Revoke>()
        .returns::<VouchRevoked>(200),
        r(
            "GET",
            "/v1/verify/{handle}",
            Public,
            "What is verified about a handle, by whom and since when",
            get(vouching::verify_handle),
        )
        .path_param::<String>("handle")
        .returns::<HandleVerification>(200),
        // Published keys and revocations, for offline verification.
        r(
            "GET",
            "/.well-known/quytac-keys.json",
            Public,
            "The Ed25519 public keys that sign badges and attestations",
            get(badges::keys),
        )
        .returns::<KeySet>(200),
        r(
            "GET",
            "/.well-known/quytac-revocations.json",
            Public,
            "Revoked badges and attestations",
            get(badges::revocations),
        )
        .returns::<RevocationsDocument>(200),
        // The public directory.
        r(
            "GET",
            "/directory",
            Public,
            "Web: search agencies and handles, see what is verified",
            get(page::directory),
        )
        .query::<page::DirectoryQuery>()
        .returns_of(200, "text/html"),
        r(
            "GET",
            "/directory/agencies/{id}",
            Public,
            "Web: an agency's page, with its badge checked in the browser",
            get(page::agency),
        )
        .path_param::<String>("id")
        .returns_of(200, "text/html"),
        r(
            "GET",
            "/directory/agencies/{id}/badge.json",
            Public,
            "The agency's latest badge, exactly as signed",
            get(page::badge_file),
        )
        .path_param::<String>("id")
        .returns_of(200, "application/json"),
        r(
            "GET",
            "/directory/accounts/{handle}",
            Public,
            "Web: an account, its vouching agencies, the attestations checked in the browser",
            get(page::account),
        )
        .path_param::<String>("handle")
        .returns_of(200, "text/html"),
    ]
}
