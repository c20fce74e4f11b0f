//! The web pages' errors and words (issue 14, item 4): every error a browser meets is an HTML
//! page in the reader's language — never JSON, never axum's English rejection text — while
//! `/v1` keeps its JSON errors; the checker refuses an empty box; the help page exists.

use crate::helpers::*;

fn assert_vietnamese_page(what: &str, r: &Resp, status: u16, title: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{what}: {:?}",
        r.header("content-type")
    );
    assert!(
        r.body.starts_with("<!doctype html>"),
        "{what}: a whole page"
    );
    assert!(r.body.contains("<html lang=\"vi\">"), "{what}");
    assert!(r.body.contains(title), "{what}: «{title}» in {}", r.body);
    for english in [
        "Cannot parse",
        "Failed to deserialize",
        "no such",
        "invalid",
        "not_found",
        "{\"error\"",
    ] {
        assert!(
            !r.body.contains(english),
            "{what}: «{english}» in {}",
            r.body
        );
    }
}

#[tokio::test]
async fn every_browser_error_is_a_page_in_the_readers_language() {
    let app = spawn_app().await;
    let console = app.sign_in(&app.token(Role::Moderator).await).await;
    let cookie = ("cookie", console.cookie.as_str());
    let cases = [
        (
            "GET",
            "/khong-co-trang-nay",
            vec![],
            404,
            "Không tìm thấy trang",
        ),
        (
            "GET",
            "/transparency?from=abc",
            vec![],
            400,
            "Khoảng thời gian không hợp lệ",
        ),
        (
            "GET",
            "/transparency?from=2025-13-01",
            vec![],
            400,
            "Khoảng thời gian không hợp lệ",
        ),
        (
            "GET",
            "/console/cases/abc",
            vec![cookie],
            404,
            "Số hồ sơ phải là một số nguyên.",
        ),
        (
            "GET",
            "/console/cases/999999",
            vec![cookie],
            404,
            "Không có hồ sơ này",
        ),
        (
            "DELETE",
            "/help",
            vec![],
            405,
            "Trang không nhận yêu cầu này",
        ),
        (
            "GET",
            "/directory/agencies/khong-co",
            vec![],
            404,
            "Không tìm thấy trang",
        ),
        ("GET", "/lang/fr", vec![], 404, "Không tìm thấy trang"),
    ];
    for (method, path, headers, status, title) in &cases {
        let r = app.request(method, path, headers, b"").await;
        assert_vietnamese_page(&format!("{method} {path}"), &r, *status, title);
    }
    // A form the handler cannot read (a field missing) is a page too.
    let r = app.request("POST", "/", &[FORM], b"role=citizen").await;
    assert_vietnamese_page("a form without its text", &r, 400, "Biểu mẫu không hợp lệ");

    // The same in English for an English reader.
    let r = app
        .request(
            "GET",
            "/khong-co-trang-nay",
            &[("accept-language", "en-GB,en;q=0.9")],
            b"",
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    assert!(r.body.contains("Page not found"), "{}", r.body);

    // `/v1` and the machine files keep their JSON errors.
    for path in ["/v1/khong-co", "/v1/cases/abc"] {
        let r = app.request("GET", path, &[], b"").await;
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{path}: {}",
            r.body
        );
    }
    let r = app.request("DELETE", "/v1/check", &[], b"").await;
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn a_database_that_does_not_answer_is_a_page_not_json() {
    let app = spawn_app().await;
    app.state.store.close().await;
    let r = app.request("GET", "/transparency", &[], b"").await;
    assert_vietnamese_page(
        "the transparency page without a database",
        &r,
        503,
        "Tạm thời không truy cập được dữ liệu",
    );
    let r = app
        .request("GET", "/v1/verify/nguyen.van.an", &[], b"")
        .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.code(), "database_unavailable");
}

#[tokio::test]
async fn the_checker_asks_for_text_and_keeps_nothing() {
    let app = spawn_app().await;
    let r = app.request("GET", "/", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Trang này không lưu lại gì"), "{}", r.body);
    assert!(
        !r.body.contains(">civil_servant<"),
        "roles are named in words"
    );
    assert!(r.body.contains("Cán bộ, công chức"));
    for blank in ["text=&role=citizen", "text=%20%0A%20&role=citizen"] {
        let r = app.request("POST", "/", &[FORM], blank.as_bytes()).await;
        assert_eq!(r.status, 422, "{blank}: {}", r.body);
        assert!(r.body.contains("Ô nội dung đang trống"), "{}", r.body);
        assert!(
            !r.body.contains("id=\"verdict\""),
            "no verdict for an empty box"
        );
    }
    // A CCCD number is found, but the page does not decode the holder's sex or birth year.
    let r = app
        .request(
            "POST",
            "/",
            &[FORM],
            "text=CCCD+c%E1%BB%A7a+ch%E1%BB%8B+%E1%BA%A5y+001090012345&role=citizen".as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Số căn cước công dân"), "{}", r.body);
    for decoded in ["1990", "male", "female", "province"] {
        assert!(!r.body.contains(decoded), "«{decoded}» on the page");
    }
    // In English, the marks' titles are English too.
    let r = app
        .request(
            "POST",
            "/",
            &[FORM, ("accept-language", "en")],
            "text=CCCD+001090012345&role=citizen".as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<mark title=\"US-2 · No offensive content"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn the_help_page_and_the_footer() {
    let app = spawn_app().await;
    let r = app.request("GET", "/help", &[], b"").await;
    assert_eq!(r.status, 200);
    for words in [
        "Ai làm được gì",
        "Kiểm duyệt viên",
        "Trung vị",
        "90% trong vòng",
        "Quyền riêng tư",
    ] {
        assert!(r.body.contains(words), "«{words}» on /help");
    }
    // Every page has the footer with the privacy note and the help link.
    for path in ["/", "/help", "/directory", "/khong-co"] {
        let r = app.request("GET", path, &[], b"").await;
        assert!(r.body.contains("<footer>"), "{path}");
        assert!(r.body.contains("href=\"/help\""), "{path}");
        assert!(r.body.contains("id=\"privacy\""), "{path}");
    }
}
