//! Tests of the consultations (AG-6) and portal consistency (AG-4) endpoints: comments of each
//! stance, the summary with its points, the CSV export with masked personal data, comments
//! after the closing time, and a portal feed served by a local HTTP server (conditional GET,
//! oversize and silent feeds, changed figures and unrelated articles).

use crate::helpers::*;
use quytac_store::consultations::NewConsultation;
use quytac_store::model::NewAgency;
use std::sync::{Arc, Mutex};

/// This module's rows of the permission matrix.
pub(super) fn permission_rows() -> Vec<MatrixRow> {
    use Role::*;
    vec![
        (
            "POST",
            "/v1/agencies/{id}/consultations",
            "/v1/agencies/x/consultations",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "GET",
            "/v1/consultations/{id}",
            "/v1/consultations/1",
            Who::Roles(ALL),
        ),
        (
            "POST",
            "/v1/consultations/{id}/comments",
            "/v1/consultations/1/comments",
            Who::Roles(ALL),
        ),
        (
            "GET",
            "/v1/consultations/{id}/summary",
            "/v1/consultations/1/summary",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "GET",
            "/v1/consultations/{id}/comments.csv",
            "/v1/consultations/1/comments.csv",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/portal/feed",
            "/v1/agencies/x/portal/feed",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/portal/refresh",
            "/v1/agencies/x/portal/refresh",
            Who::Roles(&[Admin, AgencyOfficer]),
        ),
        (
            "POST",
            "/v1/agencies/{id}/portal/check",
            "/v1/agencies/x/portal/check",
            Who::Roles(&[Admin, Moderator, Reviewer, AgencyOfficer]),
        ),
    ]
}

/// The app with outbound fetches allowed to loopback over plain HTTP, a small size limit and
/// a short timeout, for the feed server of these tests.
async fn spawn_portal_app() -> TestApp {
    spawn_app_with(|config| {
        config.fetch.allow_loopback_http = true;
        config.fetch.max_bytes = 16 * 1024;
        config.fetch.timeout = Duration::from_millis(800);
    })
    .await
}

async fn agency(app: &TestApp, id: &str) {
    app.state
        .store
        .create_agency(
            &NewAgency {
                id: id.into(),
                name: format!("Ủy ban nhân dân {id}"),
                parent_id: None,
                official_domain: None,
                page_handle: Some(format!("trang-{id}")),
                portal_feed_url: None,
                response_working_days: 5,
                responsible: Default::default(),
                competent_authority: false,
            },
            "test",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn consultation_comments_summary_and_masked_csv() {
    let app = spawn_app().await;
    agency(&app, "ubnd-hn").await;
    agency(&app, "so-gd").await;
    let officer = app.officer_of("ubnd-hn").await;
    let other_officer = app.officer_of("so-gd").await;
    let citizen = app.token(Role::Citizen).await;
    let closes = quytac_store::now_ms() + 60 * 24 * 3600 * 1000;
    // Only the agency's own officers act for it.
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/consultations",
            Some(&other_officer),
            Some(json!({"title": "T", "summary": "S", "closes_at": closes})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "{}",
        r.body
    );

    // Validation first: a closing time in the past, a bad time, more than a year away.
    for (closes_at, why) in [
        (json!("2001-01-01"), "past"),
        (json!("31/12/2099"), "format"),
        (json!("2099-12-31"), "too far"),
        (json!(i64::MAX), "out of range"),
    ] {
        let r = app
            .call(
                "POST",
                "/v1/agencies/ubnd-hn/consultations",
                Some(&officer),
                Some(json!({"title": "T", "summary": "S", "closes_at": closes_at})),
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "invalid_field"),
            "{why}: {}",
            r.body
        );
    }
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/consultations",
            Some(&officer),
            Some(json!({
                "title": "Dự thảo quy định phí trông giữ xe tại bệnh viện",
                "summary": "Lấy ý kiến người dân về mức phí trông giữ xe.",
                "document_number": "Dự thảo Quyết định sửa đổi Quyết định 44/2017/QĐ-UBND",
                "closes_at": closes,
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.json()["consultation"].clone();
    assert_eq!(c["status"], "open");
    assert_eq!(
        c["closes_at_local"],
        quytac_server::vn_time::vn_string(closes).as_str()
    );
    let id = c["id"].as_i64().unwrap();

    let comments = [
        ("Tôi đồng tình với dự thảo.", None, "support", "classifier", true),
        ("Hoàn toàn ủng hộ, rất cần thiết.", None, "support", "classifier", true),
        (
            "Phản đối tăng phí trông giữ xe, người nhà bệnh nhân đã quá vất vả.",
            None,
            "oppose",
            "classifier",
            true,
        ),
        (
            "Không đồng ý, phí trông giữ xe ở bệnh viện đã cao rồi.",
            None,
            "oppose",
            "classifier",
            true,
        ),
        (
            "Đề nghị miễn phí trông giữ xe cho người cao tuổi. Tôi là Lan, SĐT 0912 345 678, CCCD 001090012345.",
            None,
            "suggest",
            "classifier",
            true,
        ),
        // The commenter's choice wins over the classifier's reading.
        (
            "Nên bổ sung quy định cho xe đạp điện.",
            Some("support"),
            "support",
            "commenter",
            true,
        ),
        // A violation: kept for the agency, not published.
        (
            "Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi",
            None,
            "suggest",
            "classifier",
            false,
        ),
    ];
    for (text, stance, want, source, published) in comments {
        let mut body = json!({"text": text});
        if let Some(s) = stance {
            body["stance"] = json!(s);
        }
        let r = app
            .call(
                "POST",
                &format!("/v1/consultations/{id}/comments"),
                Some(&citizen),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let k = &r.json()["comment"];
        assert_eq!(k["stance"], want, "{text}");
        assert_eq!(k["stance_source"], source, "{text}");
        assert_eq!(k["published"], published, "{text}");
        if !published {
            assert!(k["withheld_because"]
                .as_str()
                .unwrap()
                .contains("regional_discrimination"));
        }
        assert!(!k["text"].as_str().unwrap().contains("0912 345 678"));
    }
    let bad = app
        .call(
            "POST",
            &format!("/v1/consultations/{id}/comments"),
            Some(&citizen),
            Some(json!({"text": "x", "stance": "maybe"})),
        )
        .await;
    assert_eq!((bad.status, bad.code().as_str()), (422, "invalid_field"));

    // The public view: published comments only, masked, no authors.
    let r = app
        .call(
            "GET",
            &format!("/v1/consultations/{id}"),
            Some(&citizen),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["comments"].as_array().unwrap().len(), 6);
    assert_eq!(v["withheld"], 1);
    assert!(!r.body.contains("0912 345 678") && !r.body.contains("001090012345"));
    assert!(!r.body.contains("bắc kỳ"));
    assert!(r.body.contains("•••• ••• 678"), "{}", r.body);
    assert!(!r.body.contains("citizen:"), "authors are not shown");

    // The summary: counts by stance with the points several comments share.
    let r = app
        .call(
            "GET",
            &format!("/v1/consultations/{id}/summary"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    assert_eq!(
        (
            s["total"].as_i64(),
            s["published"].as_i64(),
            s["withheld"].as_i64()
        ),
        (Some(7), Some(6), Some(1))
    );
    let group = |stance: &str| {
        s["by_stance"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["stance"] == stance)
            .unwrap()
            .clone()
    };
    assert_eq!(group("support")["count"], 3);
    assert_eq!(group("support")["chosen_by_commenter"], 1);
    assert_eq!(group("oppose")["count"], 2);
    assert_eq!(group("suggest")["count"], 1);
    assert_eq!(
        group("oppose")["points"][0],
        json!({"phrase": "phí trông giữ xe", "comments": 2}),
        "{s}"
    );
    for who in [&citizen, &other_officer] {
        let r = app
            .call(
                "GET",
                &format!("/v1/consultations/{id}/summary"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, 403);
    }

    // The CSV export: a header, one line per comment, masked text, Vietnam time.
    let r = app
        .call(
            "GET",
            &format!("/v1/consultations/{id}/comments.csv"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r.header("content-disposition").unwrap().contains(".csv"));
    let mut reader = csv::Reader::from_reader(r.body.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        headers,
        [
            "id",
            "created_at_asia_ho_chi_minh",
            "stance",
            "stance_source",
            "published",
            "verdict",
            "rules",
            "text_masked"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 7);
    for row in &rows {
        assert!(row[1].ends_with("+07:00"), "{row:?}");
        assert!(!row[7].contains("0912 345 678") && !row[7].contains("001090012345"));
    }
    let lan = rows.iter().find(|r| r[7].contains("Lan")).unwrap();
    assert!(
        lan[7].contains("•••• ••• 678") && lan[7].contains("•••••••••345"),
        "{lan:?}"
    );
    assert_eq!(&lan[2], "suggest");
    assert!(lan[6].contains("personal_data"), "{lan:?}");
    assert!(rows.iter().any(|r| &r[4] == "no"));

    // The public page: no token, masked comments, counts by stance, withheld ones counted.
    let r = app
        .call("GET", &format!("/consultations/{id}"), None, None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .body
        .contains("Dự thảo quy định phí trông giữ xe tại bệnh viện"));
    assert!(r.body.contains("•••• ••• 678") && !r.body.contains("0912 345 678"));
    assert!(!r.body.contains("bắc kỳ"));
    assert!(r.body.contains("id=\"withheld\">1 ý kiến"), "{}", r.body);
    assert!(r.body.contains(&quytac_server::vn_time::vn_display(closes)));
    assert_eq!(
        app.call("GET", "/consultations/999", None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.call("GET", "/consultations/abc", None, None)
            .await
            .status,
        404
    );

    // Every change is in the audit chain, and the chain holds.
    let admin = app.token(Role::Admin).await;
    let v = app
        .call("GET", "/v1/audit/verify", Some(&admin), None)
        .await
        .json();
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test]
async fn comments_after_closing_are_refused() {
    let app = spawn_app().await;
    agency(&app, "so-yt").await;
    let now = quytac_store::now_ms();
    let (closed, _) = app
        .state
        .store
        .create_consultation(
            &NewConsultation {
                agency_id: "so-yt".into(),
                title: "Dự thảo đã đóng".into(),
                summary: "S".into(),
                draft_text: None,
                document_number: None,
                opens_at: now - 10 * 86_400_000,
                closes_at: now - 86_400_000,
            },
            "test",
        )
        .await
        .unwrap();
    let citizen = app.token(Role::Citizen).await;
    let r = app
        .call(
            "POST",
            &format!("/v1/consultations/{}/comments", closed.id),
            Some(&citizen),
            Some(json!({"text": "Tôi đồng tình."})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "consultation_closed"),
        "{}",
        r.body
    );
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("closed at"));
    let v = app
        .call(
            "GET",
            &format!("/v1/consultations/{}", closed.id),
            Some(&citizen),
            None,
        )
        .await
        .json();
    assert_eq!(v["consultation"]["status"], "closed");
    let r = app
        .call(
            "POST",
            "/v1/consultations/999/comments",
            Some(&citizen),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
}

// ---- the portal feed server --------------------------------------------------------------

const ETAG: &str = "\"feed-v1\"";

fn feed_xml(port: u16) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Cổng thông tin điện tử UBND</title>
<item><title>Hỗ trợ hộ dân bị thiệt hại do bão số 3</title>
<link>http://127.0.0.1:{port}/tin/bao-so-3</link>
<pubDate>Thu, 12 Sep 2024 09:00:00 +0700</pubDate>
<description>Theo Quyết định 4512/QĐ-UBND ngày 12/9/2024, UBND thành phố hỗ trợ 1,5 tỷ đồng cho 320 hộ dân huyện Ba Vì bị thiệt hại do bão số 3.</description></item>
<item><title>Khai mạc hội chợ nông sản</title>
<link>http://127.0.0.1:{port}/tin/hoi-cho</link>
<description>Hội chợ nông sản có 150 gian hàng, khai mạc lúc 8h ngày 3/5/2024.</description></item>
</channel></rss>"#
    )
}

/// A feed server on 127.0.0.1:0: `/feed.rss` with an ETag (304 to a matching If-None-Match),
/// `/big.rss` over the size limit, `/slow.rss` that never answers. Records each request's
/// path and If-None-Match.
async fn feed_server() -> (u16, Arc<Mutex<Vec<(String, Option<String>)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let port = web_server(move |head, port| {
        let path = head.split(' ').nth(1).unwrap_or("").to_string();
        let inm = head.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("if-none-match"))
                .map(|(_, v)| v.trim().to_string())
        });
        log.lock().unwrap().push((path.clone(), inm.clone()));
        let rss = |status: &str, etag: bool, body: String| {
            let mut headers = vec![(
                "Content-Type".to_string(),
                "application/rss+xml; charset=utf-8".to_string(),
            )];
            if etag {
                headers.push(("ETag".to_string(), ETAG.to_string()));
            }
            Some((status.to_string(), headers, body.into_bytes()))
        };
        match path.as_str() {
            "/feed.rss" if inm.as_deref() == Some(ETAG) => {
                rss("304 Not Modified", true, String::new())
            }
            "/feed.rss" => rss("200 OK", true, feed_xml(port)),
            "/big.rss" => rss(
                "200 OK",
                false,
                format!("<rss>{}</rss>", "x".repeat(40_000)),
            ),
            "/slow.rss" => None,
            _ => rss("404 Not Found", false, String::new()),
        }
    })
    .await;
    (port, seen)
}

#[tokio::test]
async fn portal_feed_conditional_refresh_and_consistency_findings() {
    let app = spawn_portal_app().await;
    let (port, seen) = feed_server().await;
    agency(&app, "ubnd-hn").await;
    let officer = app.officer_of("ubnd-hn").await;
    let moderator = app.token(Role::Moderator).await;

    // No address yet.
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/refresh",
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (409, "no_portal_feed"),
        "{}",
        r.body
    );
    // Plain HTTP to anything but loopback is refused even here.
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/feed",
            Some(&officer),
            Some(json!({"url": "http://hanoi.gov.vn/rss"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "invalid_field"),
        "{}",
        r.body
    );
    let url = format!("http://127.0.0.1:{port}/feed.rss");
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/feed",
            Some(&officer),
            Some(json!({"url": url})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/refresh",
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["not_modified"], false);
    assert_eq!(v["refresh"]["new"], 2);
    assert_eq!(v["articles"], 2);
    assert_eq!(v["feed"]["etag"], ETAG);
    // The second read sends the ETag back and gets a 304: nothing changes.
    let head = app.state.store.audit_head().await.unwrap().unwrap().seq;
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/refresh",
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["not_modified"], true);
    assert_eq!(r.json()["articles"], 2);
    assert_eq!(
        app.state.store.audit_head().await.unwrap().unwrap().seq,
        head,
        "a 304 writes nothing"
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], ("/feed.rss".to_string(), None));
        assert_eq!(seen[1], ("/feed.rss".to_string(), Some(ETAG.to_string())));
    }

    // A page post with a changed amount: one finding with both values and the link.
    let post = "Theo Quyết định 4512/QĐ-UBND ngày 12/9/2024, thành phố hỗ trợ 2 tỷ đồng cho 320 hộ dân huyện Ba Vì bị thiệt hại do bão số 3.";
    let r = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/check",
            Some(&moderator),
            Some(json!({"id": "fb-1", "text": post})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["articles_compared"], 2);
    assert_eq!(
        v["article"]["title"], "Hỗ trợ hộ dân bị thiệt hại do bão số 3",
        "{v}"
    );
    assert_eq!(v["article"]["agreeing_facts"], 3, "{v}");
    assert_eq!(v["article"]["differing_facts"], 1, "{v}");
    let link = format!("http://127.0.0.1:{port}/tin/bao-so-3");
    let m = &v["mismatches"].as_array().unwrap();
    assert_eq!(m.len(), 1, "{v}");
    assert_eq!(m[0]["kind"], "money");
    assert_eq!(m[0]["post_value"], "2.000.000.000");
    assert_eq!(m[0]["article_value"], "1.500.000.000");
    assert_eq!(m[0]["article_url"], link.as_str());
    let f = &v["findings"][0];
    assert_eq!(f["category"], "portal_inconsistency");
    assert_eq!(f["rule"], "AG-4");
    assert_eq!(f["evidence"], "2 tỷ đồng");
    for msg in [
        f["message_vi"].as_str().unwrap(),
        f["message_en"].as_str().unwrap(),
    ] {
        assert!(
            msg.contains("2 tỷ đồng") && msg.contains("1,5 tỷ đồng") && msg.contains(&link),
            "{msg}"
        );
    }
    assert_eq!(v["verdict"], "review");

    // The same figures: consistent. An unrelated subject: not compared, no finding.
    for (text, compared) in [
        (
            "Thành phố hỗ trợ 1.500 triệu đồng cho 320 hộ dân huyện Ba Vì bị thiệt hại do bão số 3.",
            true,
        ),
        (
            "Trường THPT Chu Văn An tuyển 675 học sinh lớp 10, học phí 2 tỷ đồng mỗi năm cho toàn trường.",
            false,
        ),
    ] {
        let v = app
            .call(
                "POST",
                "/v1/agencies/ubnd-hn/portal/check",
                Some(&officer),
                Some(json!({"id": "fb-2", "text": text})),
            )
            .await
            .json();
        assert_eq!(v["findings"], json!([]), "{text}: {v}");
        assert_eq!(v["article"].is_object(), compared, "{text}: {v}");
    }

    // Ingest: a post by the agency's page is checked against the portal and opens a case.
    let r = app
        .call(
            "POST",
            "/v1/posts",
            Some(&moderator),
            Some(json!({"id": "fb-3", "text": post, "author": {"id": "trang-ubnd-hn", "role": "agency"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert!(
        v["result"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "portal_inconsistency"),
        "{v}"
    );
    assert!(v["case"]["id"].is_i64(), "{v}");
    // A stored post by id.
    let v = app
        .call(
            "POST",
            "/v1/agencies/ubnd-hn/portal/check",
            Some(&officer),
            Some(json!({"post_id": "fb-3"})),
        )
        .await
        .json();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    // The same post by a citizen is not an agency post: no portal check.
    let v = app
        .call(
            "POST",
            "/v1/posts",
            Some(&moderator),
            Some(json!({"id": "fb-4", "text": post, "author": {"id": "dan", "role": "citizen"}})),
        )
        .await
        .json();
    assert!(!v["result"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "portal_inconsistency"));
}

#[tokio::test]
async fn feed_uploads_oversize_feeds_and_timeouts_give_clear_errors() {
    let app = spawn_portal_app().await;
    let (port, _) = feed_server().await;
    agency(&app, "so-gd").await;
    let officer = app.officer_of("so-gd").await;
    let auth = format!("Bearer {officer}");
    let stranger = app.token(Role::AgencyOfficer).await;
    let r = app
        .call(
            "POST",
            "/v1/agencies/so-gd/portal/refresh",
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "forbidden"),
        "{}",
        r.body
    );

    // The feed uploaded as a file.
    let xml = feed_xml(port);
    let r = app
        .request(
            "POST",
            "/v1/agencies/so-gd/portal/feed",
            &[
                ("authorization", auth.as_str()),
                ("content-type", "application/rss+xml"),
            ],
            xml.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["articles"], 2);
    assert_eq!(r.json()["feed"]["source"], "upload");
    let r = app
        .request(
            "POST",
            "/v1/agencies/so-gd/portal/feed",
            &[("authorization", auth.as_str())],
            b"<html><body>not a feed</body></html>",
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (422, "invalid_feed"),
        "{}",
        r.body
    );

    for (path, words) in [
        ("/big.rss", "larger than the limit of 16384 bytes"),
        ("/slow.rss", "no answer within"),
        ("/gone.rss", "404"),
    ] {
        let url = format!("http://127.0.0.1:{port}{path}");
        let r = app
            .call(
                "POST",
                "/v1/agencies/so-gd/portal/feed",
                Some(&officer),
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .call(
                "POST",
                "/v1/agencies/so-gd/portal/refresh",
                Some(&officer),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (502, "feed_fetch_failed"),
            "{path}: {}",
            r.body
        );
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(words), "{path}: {msg}");
        let feed = app.state.store.portal_feed("so-gd").await.unwrap().unwrap();
        assert!(feed.last_error.unwrap().contains(words));
    }
    // The uploaded articles are still there.
    assert_eq!(
        app.state
            .store
            .count_portal_articles("so-gd")
            .await
            .unwrap(),
        2
    );
}
