//! Identity: agencies and their verified pages (AG-1..AG-3), domain challenges, badges, accounts and
//! staff vouching (CS-1..CS-3), public verification and the directory.

use super::{r, Access::*, Route, ALL};
use crate::api::identity as id;
use crate::auth::Role::*;
use crate::web::identity as page;
use axum::routing::{delete, get, patch, post};

pub(super) fn routes() -> Vec<Route> {
    vec![
        // Agencies and their pages.
        r(
            "POST",
            "/v1/agencies",
            Api(&[Admin]),
            "Register an agency: id, name, official domain, page handle, responsible persons",
            post(id::create_agency),
        ),
        r(
            "GET",
            "/v1/agencies/{id}",
            Api(ALL),
            "An agency with its page verification and AG-1..AG-3 findings",
            get(id::show_agency),
        ),
        r(
            "PATCH",
            "/v1/agencies/{id}",
            Api(&[Admin, AgencyOfficer]),
            "Change name, official domain, page handle or responsible persons (an agency officer: its own agency); a new domain or handle revokes the badge",
            patch(id::update_agency),
        ),
        r(
            "POST",
            "/v1/agencies/{id}/domain-challenge",
            Api(&[Admin, AgencyOfficer]),
            "Open a domain challenge (`method`: well_known or dns); returns the token and where to publish it",
            post(id::create_challenge),
        ),
        r(
            "POST",
            "/v1/agencies/{id}/domain-challenge/verify",
            Api(&[Admin, AgencyOfficer]),
            "Fetch the published token (https://DOMAIN/.well-known/quytac-challenge.txt or DNS TXT) and record the result",
            post(id::verify_challenge),
        ),
        r(
            "POST",
            "/v1/agencies/{id}/badge",
            Api(&[Admin, Reviewer]),
            "Approve the verified page: issue a badge signed with Ed25519 (needs a verified domain challenge)",
            post(id::issue_badge),
        ),
        r(
            "DELETE",
            "/v1/agencies/{id}/badge",
            Api(&[Admin, Reviewer]),
            "Revoke the agency's badge, with a `reason`",
            delete(id::revoke_badge),
        ),
        // Accounts and vouching.
        r(
            "POST",
            "/v1/accounts",
            Api(&[Admin, Moderator]),
            "Register an account: handle, display name, role, workplace, photo (base64) or photo hash",
            post(id::create_account),
        ),
        r(
            "GET",
            "/v1/accounts/{handle}",
            Api(ALL),
            "An account with its attestations and CS-1..CS-3 findings",
            get(id::show_account),
        ),
        r(
            "PATCH",
            "/v1/accounts/{handle}",
            Api(&[Admin, Moderator]),
            "Change an account; a new display name or photo stops its attestations counting until re-vouched",
            patch(id::update_account),
        ),
        r(
            "POST",
            "/v1/agencies/{id}/staff",
            Api(&[Admin, AgencyOfficer]),
            "The agency vouches that an account is its staff member (legal name, position): a signed attestation",
            post(id::vouch),
        ),
        r(
            "DELETE",
            "/v1/agencies/{id}/staff/{handle}",
            Api(&[Admin, AgencyOfficer]),
            "Revoke the agency's attestation for an account, with a `reason`",
            delete(id::revoke_vouch),
        ),
        r(
            "GET",
            "/v1/verify/{handle}",
            Public,
            "What is verified about a handle, by whom and since when",
            get(id::verify_handle),
        ),
        // Published keys and revocations, for offline verification.
        r(
            "GET",
            "/.well-known/quytac-keys.json",
            Public,
            "The Ed25519 public keys that sign badges and attestations",
            get(id::keys),
        ),
        r(
            "GET",
            "/.well-known/quytac-revocations.json",
            Public,
            "Revoked badges and attestations",
            get(id::revocations),
        ),
        // The public directory.
        r(
            "GET",
            "/directory",
            Public,
            "Web: search agencies and handles, see what is verified",
            get(page::directory),
        ),
        r(
            "GET",
            "/directory/agencies/{id}",
            Public,
            "Web: an agency's page, with its badge checked in the browser",
            get(page::agency),
        ),
        r(
            "GET",
            "/directory/agencies/{id}/badge.json",
            Public,
            "The agency's latest badge, exactly as signed",
            get(page::badge_file),
        ),
        r(
            "GET",
            "/directory/accounts/{handle}",
            Public,
            "Web: an account, its vouching agencies, the attestations checked in the browser",
            get(page::account),
        ),
    ]
}
