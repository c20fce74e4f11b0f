//! Decree 147's reports (issue 14): users' complaints past their 48-hour clock and the
//! provider's monthly report to the authority; the transparency page's downloads.

use super::{r, Access::*, Route, STAFF};
use crate::auth::Role::*;
use crate::{api, web};
use axum::routing::get;
use quytac_service::decree147::{OverdueComplaints, ProviderReport};

pub(super) fn routes() -> Vec<Route> {
    vec![
        r(
            "GET",
            "/v1/complaints/overdue",
            Api(STAFF),
            "Users' complaints (reports) without a decision 48 hours after they were received (Decree 147)",
            get(api::decree147::overdue_complaints),
        )
        .returns::<OverdueComplaints>(200),
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
