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
