//! Agency accountability: citizens' inquiries with working-day deadlines (AG-7), public
//! responsiveness, consultations (AG-6), portal consistency (AG-4), citizens' data (AG-5).

#[allow(unused_imports)]
use super::{r, Access::*, Route, ALL, INBOX_ROLES, STAFF};
#[allow(unused_imports)]
use crate::auth::Role::*;
use crate::{api, web};
use axum::routing::{get, post};
use quytac_service::consultations::{
    CommentFiled, CommentOn, ConsultationOpened, ConsultationShown, ConsultationSummary,
    OpenConsultation,
};
use quytac_service::inquiries::figures::ResponsivenessView;
use quytac_service::inquiries::{
    AnswerInquiry, AskAgency, AssignInquiry, Escalated, InquiryEnvelope, InquiryList, ReopenInquiry,
};
use quytac_service::portal_feeds::{FeedView, PortalCheck, PortalCheckView, SetFeedUrl};

pub(super) fn routes() -> Vec<Route> {
    vec![
        // Citizens' inquiries (AG-7, AG-5) and public responsiveness.
        r(
            "POST",
            "/v1/agencies/{id}/inquiries",
            Api(&[Admin, Citizen]),
            "Ask an agency a question, report conflicting information or raise a doubt; due in working days",
            post(api::inquiries::create),
        )
        .path_param::<String>("id")
        .body::<AskAgency>()
        .returns::<InquiryEnvelope>(201),
        r(
            "GET",
            "/v1/agencies/{id}/inquiries",
            Api(ALL),
            "An agency's inquiries, personal data masked (`?overdue=true`)",
            get(api::inquiries::list),
        )
        .path_param::<String>("id")
        .query::<api::inquiries::ListQuery>()
        .returns::<InquiryList>(200),
        r(
            "GET",
            "/v1/agencies/{id}/responsiveness",
            Public,
            "An agency's response times: on-time share, median and p90, open and overdue, by month",
            get(api::inquiries::responsiveness),
        )
        .path_param::<String>("id")
        .returns::<ResponsivenessView>(200),
        r(
            "POST",
            "/v1/inquiries/escalate",
            Api(&[Admin]),
            "Escalate overdue inquiries to the parent agency now (also runs periodically)",
            post(api::inquiries::escalate),
        )
        .returns::<Escalated>(200),
        r(
            "GET",
            "/v1/inquiries/{id}",
            Api(ALL),
            "An inquiry, personal data masked; `?unmasked=true` for the assigned officer and admins (audited)",
            get(api::inquiries::show),
        )
        .path_param::<i64>("id")
        .query::<api::inquiries::ShowQuery>()
        .returns::<InquiryEnvelope>(200),
        r(
            "POST",
            "/v1/inquiries/{id}/assign",
            Api(&[Admin, AgencyOfficer]),
            "Assign an inquiry to an officer (default: the caller)",
            post(api::inquiries::assign),
        )
        .path_param::<i64>("id")
        .body::<AssignInquiry>()
        .returns::<InquiryEnvelope>(200),
        r(
            "POST",
            "/v1/inquiries/{id}/answer",
            Api(&[Admin, AgencyOfficer]),
            "Answer an inquiry; the answer is checked and its personal data masked in public",
            post(api::inquiries::answer),
        )
        .path_param::<i64>("id")
        .body::<AnswerInquiry>()
        .returns::<InquiryEnvelope>(200),
        r(
            "POST",
            "/v1/inquiries/{id}/reopen",
            Api(&[Admin, Citizen]),
            "Reopen an answered inquiry (the citizen who asked); a new deadline runs",
            post(api::inquiries::reopen),
        )
        .path_param::<i64>("id")
        .body::<ReopenInquiry>()
        .returns::<InquiryEnvelope>(200),
        r(
            "POST",
            "/v1/inquiries/{id}/close",
            Api(&[Admin, Citizen]),
            "Close an inquiry (the citizen who asked)",
            post(api::inquiries::close),
        )
        .path_param::<i64>("id")
        .returns::<InquiryEnvelope>(200),
        r(
            "GET",
            "/agencies/responsiveness",
            Public,
            "Web: agencies ranked by how promptly they answer citizens",
            get(web::responsiveness::ranking_page),
        )
        .returns_of(200, "text/html"),
        r(
            "GET",
            "/agencies/{id}/responsiveness",
            Public,
            "Web: an agency's response times with a monthly chart",
            get(web::responsiveness::agency_page),
        )
        .path_param::<String>("id")
        .returns_of(200, "text/html"),
        // Consultations on draft policies (AG-6) and portal consistency (AG-4).
        r(
            "POST",
            "/v1/agencies/{id}/consultations",
            Api(&[Admin, AgencyOfficer]),
            "Open a consultation on a draft policy with a closing time",
            post(api::consultations::create),
        )
        .path_param::<String>("id")
        .body::<OpenConsultation>()
        .returns::<ConsultationOpened>(201),
        r(
            "GET",
            "/v1/consultations/{id}",
            Api(ALL),
            "A consultation and its published comments, personal data masked",
            get(api::consultations::show),
        )
        .path_param::<i64>("id")
        .returns::<ConsultationShown>(200),
        r(
            "POST",
            "/v1/consultations/{id}/comments",
            Api(ALL),
            "Comment on an open consultation (stance optional); checked, masked, withheld on a violation",
            post(api::consultations::comment),
        )
        .path_param::<i64>("id")
        .body::<CommentOn>()
        .returns::<CommentFiled>(201),
        r(
            "GET",
            "/v1/consultations/{id}/summary",
            Api(&[Admin, AgencyOfficer]),
            "Comments counted by stance (support, oppose, suggest) with the most frequent points",
            get(api::consultations::summary),
        )
        .path_param::<i64>("id")
        .returns::<ConsultationSummary>(200),
        r(
            "GET",
            "/v1/consultations/{id}/comments.csv",
            Api(&[Admin, AgencyOfficer]),
            "Every comment as CSV: masked text, stance, verdict, time in Asia/Ho_Chi_Minh",
            get(api::consultations::export_csv),
        )
        .path_param::<i64>("id")
        .returns_of(200, "text/csv"),
        r(
            "POST",
            "/v1/agencies/{id}/portal/feed",
            Api(&[Admin, AgencyOfficer]),
            "Set the portal feed's address ({\"url\"}) or upload the feed (RSS 2.0 / Atom XML)",
            post(api::portal::set_feed),
        )
        .path_param::<String>("id")
        .body::<SetFeedUrl>()
        .returns::<FeedView>(200),
        r(
            "POST",
            "/v1/agencies/{id}/portal/refresh",
            Api(&[Admin, AgencyOfficer]),
            "Read the portal feed (conditional GET; a 304 changes nothing) and keep its articles",
            post(api::portal::refresh),
        )
        .path_param::<String>("id")
        .returns::<FeedView>(200),
        r(
            "POST",
            "/v1/agencies/{id}/portal/check",
            Api(&[Admin, Moderator, Reviewer, AgencyOfficer]),
            "Compare a page post with the portal's articles on the same subject (AG-4 findings)",
            post(api::portal::check),
        )
        .path_param::<String>("id")
        .body::<PortalCheck>()
        .returns::<PortalCheckView>(200),
        r(
            "GET",
            "/consultations/{id}",
            Public,
            "Web: a consultation with its published comments, personal data masked",
            get(web::consultations::page),
        )
        .path_param::<i64>("id")
        .returns_of(200, "text/html"),
        // Citizens and officers on the web (issue 14).
        r(
            "POST",
            "/consultations/{id}/comments",
            Public,
            "Web: comment on a consultation from its page (checked first; personal data warned of)",
            post(web::consultations::comment),
        )
        .form()
        .path_param::<i64>("id")
        .returns_of(200, "text/html"),
        r(
            "POST",
            "/agencies/{id}/inquiries",
            Public,
            "Web: ask an agency from its page (checked first; personal data warned of); sent, 303 to the private follow link",
            post(web::inquiries::ask),
        )
        .form()
        .path_param::<String>("id")
        .returns_of(200, "text/html"),
        r(
            "GET",
            "/inquiries/follow/{secret}",
            Public,
            "Web: one's inquiry by its private link (status, due time, the agency's answer; masked); 404 for any other secret",
            get(web::inquiries::follow),
        )
        .path_param::<String>("secret")
        .returns_of(200, "text/html"),
        r(
            "GET",
            "/console/inbox",
            Console(INBOX_ROLES),
            "Web: the officer's inbox: their agency's inquiries, overdue first (`?agency=` for admins)",
            get(web::inbox::inbox),
        ),
        r(
            "POST",
            "/console/inbox/escalate",
            Console(INBOX_ROLES),
            "Web: run the escalation sweep of overdue inquiries now",
            post(web::inbox::escalate),
        ),
        r(
            "GET",
            "/console/inbox/{id}",
            Console(INBOX_ROLES),
            "Web: an inquiry with the answer form",
            get(web::inbox::answer_page),
        ),
        r(
            "POST",
            "/console/inbox/{id}/assign",
            Console(INBOX_ROLES),
            "Web: take an inquiry (assign it to oneself)",
            post(web::inbox::take),
        ),
        r(
            "POST",
            "/console/inbox/{id}",
            Console(INBOX_ROLES),
            "Web: check an answer, then record it",
            post(web::inbox::answer),
        ),
    ]
}
