//! Decree 147's reports (issue 14): users' complaints past their 48-hour clock, the
//! complaints addressed to page owners and their answers, and the provider's monthly report
//! to the authority; the transparency page's downloads.

use super::{r, Access::*, Route, ALL, INBOX_ROLES, STAFF};
use crate::auth::Role::*;
use crate::{api, web};
use axum::routing::{get, post};
use quytac_service::complaints::{AnswerComplaint, PageComplaints};
use quytac_service::decree147::{ComplaintView, OverdueComplaints, ProviderReport};

pub(super) fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/v1/complaints/overdue",
            Api(STAFF),
            "Users' complaints past their 48 hours (Decree 147): to the provider without a decision on the post, and apart (`to_page_owners`) those addressed to page owners without an answer",
            get(api::decree147::overdue_complaints),
        )
        .returns::<OverdueComplaints>(200),
        r(
            "GET",
            "/v1/page-complaints",
            Api(ALL),
            "The complaints addressed to a page (`?agency=ID` or `?account=HANDLE`; neither: the caller's own — an officer's agency, a citizen's account) with each one's 48-hour deadline and clock, unanswered first; for its owner and staff",
            get(api::decree147::page_complaints),
        )
        .query::<api::decree147::PageQuery>()
        .returns::<PageComplaints>(200),
        r(
            "POST",
            "/v1/complaints/{id}/answer",
            Api(&[AgencyOfficer, Citizen]),
            "The page owner answers a complaint addressed to them, once: `upheld` (acted on it) or `rejected`, with the reason told to the reporter",
            post(api::decree147::answer_complaint),
        )
        .path_param::<i64>("id")
        .body::<AnswerComplaint>()
        .returns::<ComplaintView>(200),
        r(
            "GET",
            "/console/complaints",
            Console(INBOX_ROLES),
            "Web: the complaints addressed to the officer's agency's page, unanswered first with their 48-hour deadlines (`?agency=` for admins)",
            get(web::complaints::list),
        ),
        r(
            "POST",
            "/console/complaints/{id}/answer",
            Console(INBOX_ROLES),
            "Web: the officer answers a complaint addressed to their agency's page",
            post(web::complaints::answer),
        ),
        r(
            "GET",
            "/v1/provider-report",
            Api(&[Admin, Reviewer]),
            "The provider's report for a month (`?month=YYYY-MM`, `&format=csv`): regular users, visits (page views per Vietnam day), removals and ND-2 timeliness, complaints and their 48-hour clock",
            get(api::decree147::provider_report),
        )
        .query::<api::decree147::MonthQuery>()
        .returns::<ProviderReport>(200),
        r(
            "GET",
            "/transparency.csv",
            Public,
            "Web: the transparency report of a period (`?from=&to=`) as CSV",
            get(web::transparency::download_csv),
        ),
        r(
            "GET",
            "/transparency.json",
            Public,
            "Web: the transparency report of a period (`?from=&to=`) as a JSON download",
            get(web::transparency::download_json),
        ),
    ]
}
