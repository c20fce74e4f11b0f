//! The public directory (AG-1, CS-3): search an agency or a handle and see what is verified,
//! by whom and since when. Agency and account pages embed the signed badge or attestations
//! with the service's public keys, and check the Ed25519 signatures in the browser
//! (WebCrypto) beside the server's own verdict. Times are shown in Vietnam time (UTC+7).

use super::errors::{error_page, Trouble};
use super::frame::Frame;
use super::render;
use crate::error::ApiError;
use crate::state::AppState;
use crate::vn_time::vn_display;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use quytac_core::text::vietnamese::strip;
use quytac_service::identity::agencies::PageStatus;
use quytac_service::identity::normalize_handle;
use quytac_service::identity::vouching::Vouch;
use quytac_store::model::{Account, Agency, ResponsiblePerson};
use serde::Deserialize;

/// Lowercase without diacritics, for search: "Sở TT" → "so tt".
fn fold(s: &str) -> String {
    s.to_lowercase().chars().map(strip).collect()
}

fn server_error(e: ApiError) -> Response {
    let trouble = if e.code == crate::error::Code::DatabaseUnavailable {
        Trouble::DatabaseDown
    } else {
        Trouble::Internal
    };
    tracing::warn!(error = %e, "directory page failed");
    error_page(Frame::plain(""), e.code.status(), trouble)
}

fn not_found(_what: &str) -> Response {
    error_page(Frame::plain(""), StatusCode::NOT_FOUND, Trouble::NotFound)
}

pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub page_handle: String,
    pub domain: String,
    pub verified: bool,
    pub status: String,
    pub since: String,
}

pub struct AccountRow {
    pub handle: String,
    pub display_name: String,
    pub vouched_by: String,
    pub verified: bool,
    pub status: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    frame: Frame,
    q: String,
    agencies: Vec<AgencyRow>,
    accounts: Vec<AccountRow>,
    searched: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// An agency's name, id, domain or page, or an account's handle or display name.
    #[serde(default)]
    pub q: String,
}

/// The code of a page's or attestation's status in the translation table
/// (`directory_status.<code>`); the three signature failures read the same.
fn status_code(status: &str) -> &'static str {
    match status {
        "valid" => "valid",
        "none" => "none",
        "revoked" => "revoked",
        "expired" => "expired",
        "stale" => "stale",
        "display_name_changed" => "display_name_changed",
        "photo_changed" => "photo_changed",
        "bad_signature" | "malformed" | "unknown_key" => "bad_signature",
        _ => "unverified",
    }
}

async fn agency_row(state: &AppState, a: &Agency) -> Result<AgencyRow, ApiError> {
    let p = state.service.page_status(a).await?;
    Ok(AgencyRow {
        id: a.id.clone(),
        name: a.name.clone(),
        page_handle: a.page_handle.clone().unwrap_or_default(),
        domain: a.official_domain.clone().unwrap_or_default(),
        verified: p.verified,
        status: status_code(p.status).to_string(),
        since: p
            .badge
            .as_ref()
            .filter(|_| p.verified)
            .map(|b| vn_display(b.issued_at))
            .unwrap_or_default(),
    })
}

async fn account_row(state: &AppState, a: &Account) -> Result<AccountRow, ApiError> {
    let vouches = state.service.vouches(a).await?;
    let counting: Vec<&Vouch> = vouches.iter().filter(|v| v.counts).collect();
    Ok(AccountRow {
        handle: a.handle.clone(),
        display_name: a.display_name.clone(),
        vouched_by: counting
            .iter()
            .map(|v| v.agency_name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        verified: !counting.is_empty(),
        status: match (counting.is_empty(), vouches.first()) {
            (false, _) => status_code("valid").to_string(),
            (true, Some(v)) => status_code(v.status).to_string(),
            (true, None) => "not_vouched".to_string(),
        },
    })
}

/// `GET /directory?q=…`.
pub async fn directory(
    State(state): State<AppState>,
    frame: Frame,
    q: Result<Query<DirectoryQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|q| q.0.q).unwrap_or_default();
    let q = q.trim().chars().take(100).collect::<String>();
    let folded = fold(&q);
    let result: Result<DirectoryPage, ApiError> = async {
        let mut agencies = Vec::new();
        for a in state.service.all_agencies().await? {
            let hay = fold(&format!(
                "{} {} {} {}",
                a.id,
                a.name,
                a.page_handle.as_deref().unwrap_or(""),
                a.official_domain.as_deref().unwrap_or("")
            ));
            if folded.is_empty() || hay.contains(&folded) {
                agencies.push(agency_row(&state, &a).await?);
            }
            if agencies.len() >= 100 {
                break;
            }
        }
        let mut accounts = Vec::new();
        if !q.is_empty() {
            let needle = q.trim_start_matches('@');
            for a in state.service.search_accounts(needle, 50).await? {
                accounts.push(account_row(&state, &a).await?);
            }
        }
        Ok(DirectoryPage {
            frame,
            searched: !q.is_empty(),
            q,
            agencies,
            accounts,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => server_error(e),
    }
}

/// A signed record shown on a page and checked in the browser.
pub struct SignedView {
    /// `badge` or `attestation`: the field of the payload in the signed document.
    pub field: &'static str,
    /// The signed document, exactly as issued.
    pub signed: String,
    /// The same, indented for reading.
    pub pretty: String,
    /// The server's verdict: `valid`, `revoked`, …
    pub server_status: String,
    /// Its code in the translation table (`directory_status.<code>`).
    pub server_status_code: &'static str,
    pub server_reason: String,
    /// Why it was revoked, as the reviewer wrote it (only for a revoked record): shown on a
    /// Vietnamese page, where the English `server_reason` is not.
    pub revoke_reason: String,
}

/// The reason a reviewer gave for a revocation, from a verification's description
/// (`… revoked at T: REASON`); empty unless `status` is `revoked`.
fn revoke_reason(status: &str, reason: Option<&str>) -> String {
    match (status, reason) {
        ("revoked", Some(r)) => r
            .split_once(": ")
            .map_or(String::new(), |(_, why)| why.to_string()),
        _ => String::new(),
    }
}

fn signed_view(
    field: &'static str,
    signed: &str,
    status: &str,
    reason: Option<&str>,
) -> SignedView {
    SignedView {
        field,
        signed: signed.to_string(),
        pretty: serde_json::from_str::<serde_json::Value>(signed)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| signed.to_string()),
        server_status: status.to_string(),
        server_status_code: status_code(status),
        server_reason: reason.unwrap_or("").to_string(),
        revoke_reason: revoke_reason(status, reason),
    }
}

pub struct PersonView {
    /// The key of the person's role in the translation table.
    pub role: &'static str,
    pub name: String,
    pub position: String,
    pub contact: String,
}

pub struct FindingRow {
    pub rule: String,
    pub message_vi: String,
    pub message_en: String,
}

#[derive(Template)]
#[template(path = "directory_agency.html")]
struct AgencyPage {
    frame: Frame,
    agency: Agency,
    verified: bool,
    /// The page's status code (`directory_status.<code>`).
    status: &'static str,
    reason: String,
    revoke_reason: String,
    since: String,
    expires: String,
    approved_by: String,
    people: Vec<PersonView>,
    findings: Vec<FindingRow>,
    badge: Option<SignedView>,
    staff: Vec<StaffRow>,
    keys_json: String,
}

pub struct StaffRow {
    pub handle: String,
    pub display_name: String,
    pub legal_name: String,
    pub position: String,
    pub since: String,
}

fn person_view(role: &'static str, p: &Option<ResponsiblePerson>) -> PersonView {
    match p {
        Some(p) => PersonView {
            role,
            name: p.name.clone(),
            position: p.position.clone(),
            contact: [p.phone.as_deref(), p.email.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        },
        None => PersonView {
            role,
            name: "—".into(),
            position: String::new(),
            contact: String::new(),
        },
    }
}

async fn keys_json(state: &AppState) -> Result<String, ApiError> {
    Ok(serde_json::to_string(&state.service.key_set().await?).unwrap_or_default())
}

/// `GET /directory/agencies/{id}`.
pub async fn agency(
    State(state): State<AppState>,
    frame: Frame,
    Path(agency_id): Path<String>,
) -> Response {
    let agency = match state.service.find_agency(&agency_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(&agency_id),
        Err(e) => return server_error(e.into()),
    };
    let result: Result<AgencyPage, ApiError> = async {
        let p: PageStatus = state.service.page_status(&agency).await?;
        let findings = state.service.agency_findings(&agency, &p);
        let mut staff = Vec::new();
        for (r, account) in state.service.vouched_staff(&agency.id).await? {
            staff.push(StaffRow {
                handle: r.handle.clone(),
                display_name: account.display_name.clone(),
                legal_name: r.legal_name.clone(),
                position: r.position.clone(),
                since: vn_display(r.issued_at),
            });
        }
        Ok(AgencyPage {
            frame,
            verified: p.verified,
            status: status_code(p.status),
            reason: p.reason.clone().unwrap_or_default(),
            revoke_reason: revoke_reason(p.status, p.reason.as_deref()),
            since: p
                .badge
                .as_ref()
                .map(|b| vn_display(b.issued_at))
                .unwrap_or_default(),
            expires: p
                .badge
                .as_ref()
                .map(|b| vn_display(b.expires_at))
                .unwrap_or_default(),
            approved_by: p
                .badge
                .as_ref()
                .map(|b| b.approved_by.clone())
                .unwrap_or_default(),
            people: vec![
                person_view("directory.person_head", &agency.responsible.head),
                person_view(
                    "directory.person_page_admin",
                    &agency.responsible.page_admin,
                ),
            ],
            findings: findings
                .iter()
                .map(|f| FindingRow {
                    rule: f.rule.clone(),
                    message_vi: f.message_vi.clone(),
                    message_en: f.message_en.clone(),
                })
                .collect(),
            badge: p
                .badge
                .as_ref()
                .map(|b| signed_view("badge", &b.signed, p.status, p.reason.as_deref())),
            staff,
            keys_json: keys_json(&state).await?,
            agency,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => server_error(e),
    }
}

/// `GET /directory/agencies/{id}/badge.json`: the latest badge, byte for byte as signed, for
/// `quytac badge verify`.
pub async fn badge_file(State(state): State<AppState>, Path(agency_id): Path<String>) -> Response {
    match state.service.latest_badge(&agency_id).await {
        Ok(latest) => match latest {
            Some(b) => (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                ],
                format!("{}\n", b.signed),
            )
                .into_response(),
            None => not_found(&format!("badge of {agency_id}")),
        },
        Err(e) => server_error(e.into()),
    }
}

pub struct VouchRow {
    pub agency_id: String,
    pub agency_name: String,
    pub legal_name: String,
    pub position: String,
    pub since: String,
    pub counts: bool,
    pub revoked: String,
    pub signed: SignedView,
}

#[derive(Template)]
#[template(path = "directory_account.html")]
struct AccountPage {
    frame: Frame,
    account: Account,
    verified: bool,
    vouches: Vec<VouchRow>,
    keys_json: String,
}

/// `GET /directory/accounts/{handle}`.
pub async fn account(
    State(state): State<AppState>,
    frame: Frame,
    Path(handle): Path<String>,
) -> Response {
    let Ok(h) = normalize_handle(&handle) else {
        return not_found(&handle);
    };
    let account = match state.service.find_account(&h).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(&h),
        Err(e) => return server_error(e.into()),
    };
    let result: Result<AccountPage, ApiError> = async {
        let vouches = state.service.vouches(&account).await?;
        Ok(AccountPage {
            frame,
            verified: vouches.iter().any(|v| v.counts),
            vouches: vouches
                .iter()
                .map(|v| VouchRow {
                    agency_id: v.record.agency_id.clone(),
                    agency_name: v.agency_name.clone(),
                    legal_name: v.record.legal_name.clone(),
                    position: v.record.position.clone(),
                    since: vn_display(v.record.issued_at),
                    counts: v.counts,
                    revoked: v
                        .record
                        .revoked_at
                        .map(|t| {
                            format!(
                                "{} ({})",
                                vn_display(t),
                                v.record.revoke_reason.as_deref().unwrap_or("")
                            )
                        })
                        .unwrap_or_default(),
                    signed: signed_view(
                        "attestation",
                        &v.record.signed,
                        v.status,
                        v.reason.as_deref(),
                    ),
                })
                .collect(),
            keys_json: keys_json(&state).await?,
            account,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => server_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_vietnam_and_folded_search() {
        assert_eq!(vn_display(0), "01/01/1970 07:00");
        assert_eq!(fold("Sở Thông tin ĐN"), "so thong tin dn");
    }
}
