//! The `quytac` binary as users run it: real processes, real files and pipes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn quytac(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quytac"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the quytac binary starts");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn checks_the_bundled_examples_in_order_with_line_errors() {
    let out = quytac(&["check", "examples/posts.jsonl"], b"");
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let input = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/posts.jsonl"
    ))
    .unwrap();
    assert_eq!(
        lines.len(),
        input.lines().count(),
        "one result per input line"
    );
    for (result, line) in lines.iter().zip(input.lines()) {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(item) if item.get("text").is_some() || item["type"] == "profile" => {
                assert_eq!(result["id"], item["id"], "results come in input order");
                for f in result["findings"].as_array().unwrap() {
                    if let (Some(s), Some(e)) = (f["start"].as_u64(), f["end"].as_u64()) {
                        let text: String = item["text"]
                            .as_str()
                            .unwrap()
                            .chars()
                            .skip(s as usize)
                            .take((e - s) as usize)
                            .collect();
                        assert_eq!(
                            text,
                            f["evidence"].as_str().unwrap(),
                            "offsets are in Unicode scalar values"
                        );
                    }
                }
            }
            _ => assert!(
                result["error"].is_string() && result["line"].is_u64(),
                "{result}"
            ),
        }
    }
}

#[test]
fn bad_lines_get_errors_and_the_rest_is_checked() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\":\"a\",\"text\":\"xin ch\xc3\xa0o\"}\n");
    input.extend_from_slice(b"{\"id\":\"b\",\"text\":\"\xff\xfe\"}\n");
    input.extend_from_slice(b"{\"id\":\"c\"}\n");
    input.extend_from_slice(b"{\"id\":\"d\",\"text\":\"");
    input.extend(std::iter::repeat_n(b'x', (1 << 20) + 5));
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(b"{\"id\":\"e\",\"text\":\"\xc4\x91m th\xe1\xba\xb1ng ngu\"}\n");
    let out = quytac(&["check", "-"], &input);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["verdict"], "pass");
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("UTF-8"));
    assert!(lines[2]["error"].as_str().unwrap().contains("text"));
    assert!(lines[3]["error"].as_str().unwrap().contains("longer"));
    assert_eq!(lines[4]["id"], "e");
    assert_ne!(
        lines[4]["verdict"], "pass",
        "the line after the bad ones is checked"
    );
    assert_ne!(lines[4]["label"], "clean");
}

#[test]
fn items_over_the_limits_are_error_lines_and_results_are_cut() {
    let long = serde_json::json!({"id": "long", "text": "x".repeat(20_001)});
    let many = serde_json::json!({"id": "many", "text": "ngu ".repeat(500)});
    let input = format!("{long}\n{many}\n{{\"id\":\"ok\",\"text\":\"xin chào\"}}\n");
    let out = quytac(&["check", "-"], input.as_bytes());
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(
        lines[0]["error"],
        "the item's text is longer than 20000 characters"
    );
    assert_eq!(lines[1]["truncated"], true);
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 100);
    assert_eq!(lines[2]["verdict"], "pass");
    assert!(lines[2].get("truncated").is_none());
    // The limits are flags.
    let out = quytac(
        &[
            "check",
            "-",
            "--max-chars",
            "30000",
            "--max-findings",
            "1000",
        ],
        input.as_bytes(),
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["id"], "long");
    assert!(lines[1]["findings"].as_array().unwrap().len() >= 500);
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(
        quytac(
            &["check", "-"],
            b"{\"id\":\"a\",\"text\":\"Ch\xc3\xa0o bu\xe1\xbb\x95i s\xc3\xa1ng\"}\n"
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        quytac(
            &["check", "-", "--exit-zero"],
            b"{\"id\":\"a\",\"text\":\"\xc4\x91m m\xc3\xa0y\"}\n"
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        quytac(&["check", "/nonexistent/file.jsonl"], b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        quytac(&["check", "--pack", "nope"], b"").status.code(),
        Some(2)
    );
    assert_eq!(
        quytac(&["check", "--rules", "/nonexistent.toml"], b"")
            .status
            .code(),
        Some(2)
    );
    assert_eq!(quytac(&["frobnicate"], b"").status.code(), Some(2));
}

#[test]
fn text_mode_highlights_the_spans() {
    let out = quytac(
        &[
            "check",
            "--text",
            "Thằng bắc kỳ ngu như chó",
            "--role",
            "civil_servant",
        ],
        b"",
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("[[Thằng bắc kỳ ngu như chó]]"), "{s}");
    assert!(s.contains("CS-5 regional_discrimination violation"), "{s}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_user_rule_pack_is_loaded() {
    let dir = std::env::temp_dir().join(format!("quytac-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pack.toml");
    std::fs::write(
        &path,
        r#"id = "mine"
title_vi = "Quy tắc riêng"
title_en = "Our rules"
source = "us"
[[rule]]
id = "X-1"
clause = "không chửi thề"
subjects = ["citizen"]
categories = ["offensive"]
severity = "violation"
check = "vulgar words"
message_vi = "Không chửi thề."
message_en = "No swearing."
"#,
    )
    .unwrap();
    let out = quytac(
        &["check", "--rules", path.to_str().unwrap()],
        "{\"id\":\"a\",\"text\":\"đm mày\"}\n".as_bytes(),
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["findings"][0]["rule"], "X-1");
    assert_eq!(lines[0]["verdict"], "violation");
    let listed = quytac(&["rules", "--rules", path.to_str().unwrap()], b"");
    assert!(String::from_utf8(listed.stdout)
        .unwrap()
        .contains("X-1  [violation]  citizen"));
    std::fs::write(&path, "id = ").unwrap();
    let bad = quytac(&["check", "--rules", path.to_str().unwrap()], b"");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("invalid rule pack"));
}

#[test]
fn redact_masks_personal_data() {
    let out = quytac(
        &[
            "redact",
            "--text",
            "Gọi 0912 345 678 hoặc mail an.nguyen@gmail.com, giá 1.250.000 đồng",
        ],
        b"",
    );
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        !s.contains("0912 345 678") && !s.contains("an.nguyen@"),
        "{s}"
    );
    assert!(s.contains("1.250.000 đồng"), "{s}");
}

#[test]
fn rules_lists_every_pack() {
    for pack in ["vn-2018-draft", "vn-874-2021", "vn-147-2024"] {
        let out = quytac(&["rules", "--pack", pack], b"");
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8(out.stdout).unwrap().starts_with(pack));
    }
}

// ---- quytac badge verify (issue 5) ----------------------------------------------------------

mod badge_verify {
    use super::quytac;
    use quytac_core::identity::badge::{format_time, key_id, sign, Badge, KeySet, SigningKey};
    use std::path::PathBuf;

    const NOW: i64 = 1_750_000_000;

    struct Files {
        dir: PathBuf,
    }

    impl Files {
        fn new(name: &str) -> Files {
            let dir =
                std::env::temp_dir().join(format!("quytac-badge-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Files { dir }
        }
        fn write(&self, name: &str, text: &str) -> String {
            let p = self.dir.join(name);
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn issued() -> (String, String) {
        let k = SigningKey::from_bytes(&[5; 32]);
        let b = Badge::new(
            "b-cli",
            "so-tt-hn",
            "Sở Thông tin và Truyền thông Hà Nội",
            "sotttt.hanoi",
            "hanoi.gov.vn",
            NOW - 86_400,
            NOW + 86_400,
            &key_id(&k.verifying_key()),
        );
        let keys = serde_json::to_string(&KeySet::of(&[k.verifying_key()])).unwrap();
        (sign(&b, &k).unwrap(), keys)
    }

    fn stdout(out: &std::process::Output) -> String {
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn valid_expired_revoked_tampered_and_usage_errors() {
        let f = Files::new("verify");
        let (signed, keys) = issued();
        let badge = f.write("badge.json", &format!("{signed}\n"));
        let keys = f.write("keys.json", &keys);
        let now = format_time(NOW);
        let out = quytac(
            &["badge", "verify", &badge, "--keys", &keys, "--now", &now],
            b"",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(stdout(&out).starts_with("valid: badge b-cli: page @sotttt.hanoi"));

        // An offset time is read as RFC 3339: a day and a second later it has expired.
        let later = "2025-06-17T22:06:41+07:00";
        let out = quytac(
            &["badge", "verify", &badge, "--keys", &keys, "--now", later],
            b"",
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).starts_with("expired at "), "{}", stdout(&out));

        let revoked = f.write(
            "revoked.json",
            r#"{"revoked":[{"serial":"b-cli","at":"2025-06-15T00:00:00Z","reason":"domain lost"}]}"#,
        );
        let out = quytac(
            &[
                "badge",
                "verify",
                &badge,
                "--keys",
                &keys,
                "--revocations",
                &revoked,
                "--now",
                &now,
            ],
            b"",
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).starts_with("revoked at 2025-06-15T00:00:00Z: domain lost"));

        let tampered = f.write(
            "tampered.json",
            &signed.replace("hanoi.gov.vn", "hanoi.gov.vm"),
        );
        let out = quytac(
            &["badge", "verify", &tampered, "--keys", &keys, "--now", &now],
            b"",
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stdout(&out).starts_with("bad signature"),
            "{}",
            stdout(&out)
        );

        let other = f.write(
            "other-keys.json",
            &serde_json::to_string(&KeySet::of(&[
                SigningKey::from_bytes(&[6; 32]).verifying_key()
            ]))
            .unwrap(),
        );
        let out = quytac(
            &["badge", "verify", &badge, "--keys", &other, "--now", &now],
            b"",
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).starts_with("unknown key"));

        for args in [
            vec![
                "badge",
                "verify",
                "/nonexistent/badge.json",
                "--keys",
                keys.as_str(),
            ],
            vec![
                "badge",
                "verify",
                badge.as_str(),
                "--keys",
                "/nonexistent/keys.json",
            ],
            vec!["badge", "verify", badge.as_str(), "--keys", badge.as_str()],
            vec![
                "badge",
                "verify",
                badge.as_str(),
                "--keys",
                keys.as_str(),
                "--now",
                "yesterday",
            ],
            vec!["badge", "verify", badge.as_str()],
        ] {
            let out = quytac(&args, b"");
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        }
    }
}

// ---- profile photos in quytac check (CS-2) ---------------------------------------------------

mod profile_photos {
    use super::{json_lines, quytac};
    use std::path::PathBuf;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let d =
                std::env::temp_dir().join(format!("quytac-photo-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn flat_png(path: &std::path::Path) {
        image::RgbImage::from_pixel(240, 240, image::Rgb([30, 90, 160]))
            .save(path)
            .unwrap();
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header announces 20000×20000 grey pixels, followed by a little zlib data of
    /// zeros: decoding it would need 400 MB.
    fn bomb_png() -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8; 4], data: &[u8]| {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = out.len();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            let crc = crc32(&out[start..]);
            out.extend_from_slice(&crc.to_be_bytes());
        };
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0x78, 0x01, 0x63, 0x60, 0x00, 0x00]);
        chunk(b"IEND", &[]);
        out
    }

    fn profile(id: &str, photo: &str) -> String {
        serde_json::json!({"id": id, "type": "profile", "role": "civil_servant",
            "display_name": "Nguyễn Văn An", "legal_name": "Nguyễn Văn An", "photo": photo,
            "workplace": "Sở Tư pháp Hà Nội", "vouched_by": "stp-hn"})
        .to_string()
    }

    fn photo_messages(result: &serde_json::Value) -> Vec<String> {
        result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["category"] == "real_photo")
            .map(|f| {
                assert_eq!(f["rule"], "CS-2");
                assert!(f["start"].is_null() && f["end"].is_null());
                f["message_en"].as_str().unwrap().to_string()
            })
            .collect()
    }

    #[test]
    fn photos_are_read_beside_the_input_and_problems_become_findings() {
        let d = Dir::new("batch");
        std::fs::create_dir_all(d.0.join("photos")).unwrap();
        flat_png(&d.0.join("photos/flat.png"));
        std::fs::write(d.0.join("bomb.png"), bomb_png()).unwrap();
        std::fs::write(d.0.join("notes.txt"), "not an image").unwrap();
        let input = [
            profile("u1", "photos/flat.png"),
            profile("u2", "photos/missing.jpg"),
            profile("u3", "bomb.png"),
            profile("u4", "notes.txt"),
            profile("u5", "photos"),
            profile("u6", d.0.join("photos/flat.png").to_str().unwrap()),
            r#"{"id":"p1","text":"Chào buổi sáng"}"#.to_string(),
        ]
        .join("\n");
        let path = d.0.join("profiles.jsonl");
        std::fs::write(&path, input + "\n").unwrap();
        let out = quytac(&["check", path.to_str().unwrap()], b"");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 7, "one result per line, the batch goes on");
        let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["u1", "u2", "u3", "u4", "u5", "u6", "p1"]);

        let flat = photo_messages(&lines[0]);
        assert_eq!(flat.len(), 1, "{flat:?}");
        assert!(
            flat[0].contains("blank") && flat[0].contains("[blank]"),
            "{flat:?}"
        );
        assert_eq!(lines[0]["verdict"], "violation");
        let missing = photo_messages(&lines[1]);
        assert!(
            missing[0].contains("cannot be checked") && missing[0].contains("missing.jpg"),
            "{missing:?}"
        );
        let bomb = photo_messages(&lines[2]);
        assert!(bomb[0].contains("decompression bomb"), "{bomb:?}");
        assert!(photo_messages(&lines[3])[0].contains("not a JPEG, PNG or WebP"));
        assert!(photo_messages(&lines[4])[0].contains("folder"));
        assert!(
            photo_messages(&lines[5])[0].contains("[blank]"),
            "an absolute path"
        );
        assert_eq!(lines[6]["verdict"], "pass");
    }

    #[test]
    fn photos_of_standard_input_are_relative_to_the_current_folder() {
        // The test runs the binary in the repository root.
        let out = quytac(
            &["check", "-"],
            format!("{}\n", profile("u1", "no/such/photo.png")).as_bytes(),
        );
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1);
        let m = photo_messages(&lines[0]);
        assert!(m[0].contains("./no/such/photo.png"), "{m:?}");
    }
}

/// `quytac admin create-token` (with an expiry) and `revoke-token` on one database: the token
/// is printed in its exact form, and revoking an unknown id fails with a message.
#[test]
fn admin_creates_and_revokes_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("admin.db").display());
    let key = dir.path().join("audit.key");
    let key = key.to_str().unwrap();
    let out = quytac(
        &[
            "admin",
            "create-token",
            "--db",
            &db,
            "--audit-key",
            key,
            "--role",
            "moderator",
            "--expires-in",
            "90d",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let rest = token
        .strip_prefix("qt_1_")
        .expect("the first token, qt_1_…");
    assert!(
        rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    let out = quytac(
        &[
            "admin",
            "create-token",
            "--db",
            &db,
            "--audit-key",
            key,
            "--role",
            "admin",
            "--expires-in",
            "soon",
        ],
        b"",
    );
    assert!(!out.status.success(), "an unreadable expiry is refused");
    let out = quytac(
        &[
            "admin",
            "revoke-token",
            "--db",
            &db,
            "--audit-key",
            key,
            "1",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("token 1"));
    let out = quytac(
        &[
            "admin",
            "revoke-token",
            "--db",
            &db,
            "--audit-key",
            key,
            "42",
        ],
        b"",
    );
    assert!(!out.status.success(), "an unknown token id is an error");
}
