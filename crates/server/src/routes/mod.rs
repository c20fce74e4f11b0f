//! Every endpoint in one table: method, path, who may call it and what it does. The router,
//! the authorisation middleware and the OpenAPI document are all built from this table, so an
//! endpoint cannot exist without an access rule.
//!
//! The table is long, so its sections for identity (agencies, domains, badges, accounts,
//! vouching: `identity.rs`) and agency accountability (inquiries, responsiveness,
//! consultations, portal feeds: `agency.rs`) live in their own files; [`routes`] joins them.

use crate::api;
use crate::auth::Role::{self, *};
use crate::state::AppState;
use crate::web;
use api::check::{CheckRequest, CheckResponse};
use axum::routing::{delete, get, post, MethodRouter};
pub use doc::{Body, Doc};
use quytac_core::item::Item;
use quytac_service::audit::{AuditPage, AuditVerification};
use quytac_service::console::{
    AddNote, AssignCase, BulkDecide, BulkDecided, CaseDesk, CompleteTakedown, DecideAppeal,
    TakedownCompleted,
};
use quytac_service::moderation::{
    AppealDecision, AppealFiled, Decide, DecisionRecorded, ReportFiled, ReportPost, Standing,
};
use quytac_service::posts::Ingested;
use quytac_service::takedowns::{FileTakedown, TakedownFiled, TakedownList};
use quytac_service::tokens::{TokenInfo, TokenList};
use quytac_service::transparency::TransparencyReport;
use quytac_store::audit::SignedHead;
use quytac_store::console::{CaseAssignment, CaseNote};
use quytac_store::model::{CaseDetail, Report};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no token.
    Public,
    /// A bearer token with one of these roles.
    Api(&'static [Role]),
    /// A web console page: the token from the login cookie, with one of these roles.
    Console(&'static [Role]),
    /// Authenticated by a signature over the body (webhooks).
    Signed,
}

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub handler: MethodRouter<AppState>,
    /// What the OpenAPI document says of the route's bodies and parameters.
    pub doc: Doc,
    /// A web form posts here: a cross-site post is refused (console routes always are).
    pub form: bool,
}

impl Route {
    /// An HTML form of the site posts here; posts from other sites are refused.
    pub fn form(mut self) -> Self {
        self.form = true;
        self
    }

    /// The JSON request body is a `T`.
    pub fn body<T: ToSchema>(mut self) -> Self {
        self.doc.request = Some(Body::json::<T>());
        self
    }

    /// The request body is of another media type (JSON Lines, a feed file).
    pub fn body_of(mut self, content_type: &'static str) -> Self {
        self.doc.request = Some(Body::text(content_type));
        self
    }

    /// Success answers `status` with a JSON `T`.
    pub fn returns<T: ToSchema>(mut self, status: u16) -> Self {
        self.doc.response = Some((status, Body::json::<T>()));
        self
    }

    /// Success answers `status` with a body of another media type (HTML, CSV).
    pub fn returns_of(mut self, status: u16, content_type: &'static str) -> Self {
        self.doc.response = Some((status, Body::text(content_type)));
        self
    }

    /// The query parameters are the fields of `Q`.
    pub fn query<Q: IntoParams>(mut self) -> Self {
        self.doc = self.doc.with_query::<Q>();
        self
    }

    /// The path parameter `name` is a `T` (path parameters are strings otherwise).
    pub fn path_param<T: PartialSchema>(mut self, name: &'static str) -> Self {
        self.doc = self.doc.with_path_param::<T>(name);
        self
    }
}

pub(crate) const ALL: &[Role] = &[Admin, Moderator, Reviewer, AgencyOfficer, Citizen];
pub(crate) const STAFF: &[Role] = &[Admin, Moderator, Reviewer];
/// The roles that may sign in to the web console and open its pages.
pub const CONSOLE_ROLES: &[Role] = STAFF;
/// The roles that may open the officer's inbox (`/console/inbox`): officers for their agency,
/// admins for any. Officers open no other console page.
pub const INBOX_ROLES: &[Role] = &[Admin, AgencyOfficer];
/// The roles that may sign in to the web pages: the console's and the inbox's.
pub const SIGN_IN_ROLES: &[Role] = &[Admin, Moderator, Reviewer, AgencyOfficer];

pub(crate) fn r(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        summary,
        handler,
        doc: Doc::default(),
        form: false,
    }
}

mod agency;
pub mod doc;
mod identity;
mod reports;

/// Every endpoint of the service.
pub fn routes() -> Vec<Route> {
    let mut all = core_routes();
    all.extend(identity::routes());
    all.extend(agency::routes());
    all.extend(reports::routes());
    all
}

/// Checking, ingest, moderation, audit, integrations and the console.
fn core_routes() -> Vec<Route> {
    use Access::*;
    vec![
        // Service.
        r(
            "GET",
            "/healthz",
            Public,
            "Liveness and database check",
            get(api::meta::healthz),
        )
        .returns::<api::meta::Health>(200),
        r(
            "GET",
            "/openapi.json",
            Public,
            "This API's OpenAPI document",
            get(api::meta::openapi),
        ),
        // Checking and ingest.
        r(
            "POST",
            "/v1/check",
            Public,
            "Check one item or an array of items; nothing is stored",
            post(api::check::check),
        )
        .body::<CheckRequest>()
        .returns::<CheckResponse>(200),
        r(
            "POST",
            "/v1/posts",
            Api(&[Admin, Moderator]),
            "Ingest a post: check, store, open a case when it needs review (201); with the pipeline (--nats), queue it (202 {post, status: queued})",
            post(api::posts::ingest),
        )
        .body::<Item>()
        .returns::<Ingested>(201),
        r(
            "POST",
            "/v1/posts/batch",
            Api(&[Admin, Moderator]),
            "Ingest posts as JSON Lines (at most 1,000); bad lines reported by number. Queued (202) with the pipeline, stored (201) without",
            post(api::posts::batch),
        )
        .body_of("application/x-ndjson")
        .returns::<api::posts::BatchAccepted>(201),
        r(
            "GET",
            "/v1/posts/{id}",
            Api(STAFF),
            "A post by its own id: `checked` with its stored result, or `queued` in the pipeline",
            get(api::posts::show),
        )
        .returns::<api::posts::PostState>(200),
        r(
            "GET",
            "/v1/pipeline",
            Api(&[Admin]),
            "The pipeline: stream depth, consumers, pending, redelivered, dead letters, throughput",
            get(api::pipeline::stats),
        )
        .returns::<quytac_pipeline::stats::PipelineStats>(200),
        r(
            "GET",
            "/metrics",
            Public,
            "Prometheus gauges of the pipeline (an admin token or the scrape token)",
            get(api::pipeline::metrics),
        )
        .returns_of(200, "text/plain"),
        // Moderation.
        r(
            "POST",
            "/v1/reports",
            Api(ALL),
            "Report a stored post; the reporter is told the outcome",
            post(api::moderation::create_report),
        )
        .body::<ReportPost>()
        .returns::<ReportFiled>(201),
        r(
            "GET",
            "/v1/reports/{id}",
            Api(ALL),
            "A report and its outcome (reporters see only their own)",
            get(api::moderation::show_report),
        )
        .path_param::<i64>("id")
        .returns::<Report>(200),
        r(
            "GET",
            "/v1/cases",
            Api(STAFF),
            "The moderation queue: filters (`status`, `source`, `rule`, `category`, `severity`, `has_reports`, `assignee`), search (`q`), `sort` (age, newest, deadline, severity; overdue takedowns first), `page` and `limit`; with counts per status and the total",
            get(api::moderation::list_cases),
        )
        .query::<api::moderation::CasesQuery>()
        .returns::<quytac_service::console::CaseQueue>(200),
        r(
            "GET",
            "/v1/cases/{id}",
            Api(STAFF),
            "A case: post, findings, reports, decisions, appeals, takedowns",
            get(api::moderation::show_case),
        )
        .path_param::<i64>("id")
        .returns::<CaseDetail>(200),
        r(
            "POST",
            "/v1/cases/{id}/decision",
            Api(STAFF),
            "Decide a case with a statement of reasons",
            post(api::moderation::decide),
        )
        .path_param::<i64>("id")
        .body::<Decide>()
        .returns::<DecisionRecorded>(201),
        r(
            "POST",
            "/v1/cases/{id}/appeal",
            Api(&[Admin, Citizen]),
            "Appeal the latest decision on a case (its post's author, or an admin for them; once per decision)",
            post(api::moderation::appeal),
        )
        .path_param::<i64>("id")
        .body::<AppealDecision>()
        .returns::<AppealFiled>(201),
        r(
            "POST",
            "/v1/cases/{id}/assignment",
            Api(STAFF),
            "Assign a case while it waits for a decision: to an enabled staff user (username or `role:username`), to the caller (`me`), or to nobody (`null`)",
            post(api::console::assign),
        )
        .path_param::<i64>("id")
        .body::<AssignCase>()
        .returns::<CaseAssignment>(200),
        r(
            "GET",
            "/v1/cases/{id}/notes",
            Api(STAFF),
            "A case's internal notes and assignments, oldest first (staff only)",
            get(api::console::desk),
        )
        .path_param::<i64>("id")
        .returns::<CaseDesk>(200),
        r(
            "POST",
            "/v1/cases/{id}/notes",
            Api(STAFF),
            "Add an internal note to a case (staff only, never shown to the author; audited)",
            post(api::console::add_note),
        )
        .path_param::<i64>("id")
        .body::<AddNote>()
        .returns::<CaseNote>(201),
        r(
            "POST",
            "/v1/cases/bulk-decision",
            Api(STAFF),
            "One decision with one statement of reasons for 1 to 100 cases; each decided by its own rules, the answer says which were refused and why",
            post(api::console::bulk_decide),
        )
        .body::<BulkDecide>()
        .returns::<BulkDecided>(200),
        r(
            "POST",
            "/v1/cases/{id}/appeal/decision",
            Api(STAFF),
            "A reviewer (not the appealed decision's author) upholds or overturns the appealed decision",
            post(api::console::decide_appeal),
        )
        .path_param::<i64>("id")
        .body::<DecideAppeal>()
        .returns::<DecisionRecorded>(201),
        r(
            "POST",
            "/v1/takedowns",
            Api(&[Admin, AgencyOfficer]),
            "A competent authority's removal request, filed in its officer's agency's name, due within 24 hours (ND-2)",
            post(api::takedowns::create),
        )
        .body::<FileTakedown>()
        .returns::<TakedownFiled>(201),
        r(
            "GET",
            "/v1/takedowns",
            Api(&[Admin, Moderator, AgencyOfficer]),
            "Takedown requests (`?overdue=true` for the overdue ones); officers see their agency's",
            get(api::takedowns::list),
        )
        .query::<api::takedowns::TakedownQuery>()
        .returns::<TakedownList>(200),
        r(
            "POST",
            "/v1/takedowns/{id}/done",
            Api(&[Admin, Moderator]),
            "A takedown carried out (ND-2): closed when the content is down already, else removed now under the `rule` and `category` given",
            post(api::console::takedown_done),
        )
        .path_param::<i64>("id")
        .body::<CompleteTakedown>()
        .returns::<TakedownCompleted>(200),
        r(
            "GET",
            "/v1/accounts/{handle}/violations",
            Api(STAFF),
            "Violation counters and the lock recommendation (ND-3)",
            get(api::moderation::violations),
        )
        .returns::<Standing>(200),
        // Audit and transparency.
        r(
            "GET",
            "/v1/audit",
            Api(&[Admin, Reviewer]),
            "Audit events after `?after=N`",
            get(api::audit::list),
        )
        .query::<api::audit::AuditQuery>()
        .returns::<AuditPage>(200),
        r(
            "GET",
            "/v1/audit/verify",
            Api(&[Admin, Reviewer]),
            "Recompute every chain, signed head and covered row of the audit log",
            get(api::audit::verify),
        )
        .returns::<AuditVerification>(200),
        r(
            "POST",
            "/v1/audit/checkpoints",
            Api(&[Admin]),
            "Sign a head of the log now",
            post(api::audit::checkpoint),
        )
        .returns::<SignedHead>(201),
        r(
            "GET",
            "/v1/audit/head",
            Public,
            "The signed head of the audit log: seq, hash (Merkle root of the chains' heads), time, key id, signature",
            get(api::audit::head),
        )
        .returns::<SignedHead>(200),
        r(
            "GET",
            "/v1/transparency",
            Api(ALL),
            "Decisions per rule, action and week; takedown timeliness (`?from=YYYY-MM-DD&to=…`)",
            get(api::transparency::report),
        )
        .query::<api::transparency::Period>()
        .returns::<TransparencyReport>(200),
        // Tokens.
        r(
            "GET",
            "/v1/tokens",
            Api(&[Admin]),
            "Every API token: role, label, agency, times, revoked (never the secret or hash)",
            get(api::tokens::list),
        )
        .returns::<TokenList>(200),
        r(
            "DELETE",
            "/v1/tokens/{id}",
            Api(&[Admin]),
            "Revoke a token: refused from its next request on; its console sessions end",
            delete(api::tokens::revoke),
        )
        .path_param::<i64>("id")
        .returns::<TokenInfo>(200),
        // Integrations.
        r(
            "POST",
            "/v1/integrations/mastodon",
            Signed,
            "Mastodon webhook deliveries, HMAC-signed (X-Hub-Signature), each taken once, replays refused",
            post(api::mastodon::webhook),
        )
        .returns::<quytac_service::mastodon::DeliveryTaken>(200),
        // Web console.
        r(
            "GET",
            "/",
            Public,
            "Web: the public checker",
            get(web::checker_page),
        ),
        r(
            "POST",
            "/",
            Public,
            "Web: check the pasted text",
            post(web::checker_submit),
        ),
        r(
            "GET",
            "/help",
            Public,
            "Web: help — what each role can do and what the figures mean",
            get(web::help::help_page),
        ),
        r(
            "GET",
            "/transparency",
            Public,
            "Web: the transparency report with a chart",
            get(web::transparency_page),
        ),
        r(
            "GET",
            "/login",
            Public,
            "Web: the sign-in form",
            get(web::sign_in::login_page),
        ),
        r(
            "POST",
            "/login",
            Public,
            "Web: sign in with a username and password, or a token (opens a session; the cookie holds its id)",
            post(web::sign_in::login_submit),
        )
        .form(),
        r(
            "POST",
            "/logout",
            Public,
            "Web: sign out (ends the session on the server)",
            post(web::sign_in::logout),
        )
        .form(),
        r(
            "GET",
            "/lang/{code}",
            Public,
            "Web: the language switch (`vi` or `en`), kept in a cookie",
            get(web::switch_language),
        )
        .path_param::<String>("code"),
        r(
            "GET",
            "/static/quytac.css",
            Public,
            "Web: the pages' stylesheet",
            get(web::assets::stylesheet),
        )
        .returns_of(200, "text/css"),
        r(
            "GET",
            "/static/verify.js",
            Public,
            "Web: the directory pages' signature check (WebCrypto)",
            get(web::assets::verify_script),
        )
        .returns_of(200, "text/javascript"),
        r(
            "GET",
            "/static/console.js",
            Public,
            "Web: the moderation queue's keyboard shortcuts",
            get(web::assets::console_script),
        )
        .returns_of(200, "text/javascript"),
        r(
            "GET",
            "/static/console.css",
            Public,
            "Web: the moderation console's stylesheet",
            get(web::assets::console_stylesheet),
        )
        .returns_of(200, "text/css"),
        r(
            "GET",
            "/console/account",
            Console(CONSOLE_ROLES),
            "Web: who is signed in, their open sessions, sign-out everywhere",
            get(web::sign_in::account_page),
        ),
        r(
            "POST",
            "/console/account/sign-out-everywhere",
            Console(CONSOLE_ROLES),
            "Web: end every session of the signed-in person (every device)",
            post(web::sign_in::sign_out_everywhere),
        ),
        r(
            "GET",
            "/console/cases",
            Console(CONSOLE_ROLES),
            "Web: the moderation queue (filters, search, sort, counts, pages, overdue takedowns first)",
            get(web::console::queue::queue_page),
        ),
        r(
            "POST",
            "/console/cases/bulk",
            Console(CONSOLE_ROLES),
            "Web: one decision for the selected cases, each by its own rules",
            post(web::console::queue::bulk_decide),
        ),
        r(
            "GET",
            "/console/cases/{id}",
            Console(CONSOLE_ROLES),
            "Web: a case with its timeline, standing and panels",
            get(web::console::case::case_page),
        ),
        r(
            "POST",
            "/console/cases/{id}",
            Console(CONSOLE_ROLES),
            "Web: record a decision from the form",
            post(web::console::case::case_decide),
        ),
        r(
            "POST",
            "/console/cases/{id}/appeal",
            Console(CONSOLE_ROLES),
            "Web: a reviewer upholds or overturns the appealed decision",
            post(web::console::case::case_appeal),
        ),
        r(
            "POST",
            "/console/cases/{id}/assign",
            Console(CONSOLE_ROLES),
            "Web: assign a case to me, to someone named, or to nobody",
            post(web::console::case::case_assign),
        ),
        r(
            "POST",
            "/console/cases/{id}/notes",
            Console(CONSOLE_ROLES),
            "Web: an internal note (staff only, audited)",
            post(web::console::case::case_note),
        ),
        r(
            "POST",
            "/console/takedowns/{id}/done",
            Console(&[Admin, Moderator]),
            "Web: a takedown carried out (the content removed now when still visible)",
            post(web::console::case::takedown_done),
        ),
        r(
            "GET",
            "/console/audit",
            Console(CONSOLE_ROLES),
            "Web: the latest audit events and the signed head",
            get(web::console::audit::audit_page),
        ),
        r(
            "POST",
            "/console/audit/verify",
            Console(CONSOLE_ROLES),
            "Web: verify the audit log and say the result",
            post(web::console::audit::audit_verify),
        ),
    ]
}
