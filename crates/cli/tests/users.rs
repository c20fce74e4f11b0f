//! `quytac admin add-user / reset-password / disable-user`: the password comes from standard
//! input or a file, never from the command line, and must pass the policy.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_quytac");

fn admin(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let db = format!("sqlite://{}", dir.join("t.db").display());
    let key = dir.join("audit.key");
    let mut child = Command::new(BIN)
        .arg("admin")
        .args(args)
        .args(["--db", &db, "--audit-key", key.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quytac runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn users_are_made_with_a_password_from_stdin_or_a_file_never_argv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = [
        "add-user",
        "--username",
        "lan",
        "--name",
        "Nguyễn Thị Lan",
        "--role",
        "moderator",
    ];
    let short = admin(d, &add, "short\n");
    assert!(!short.status.success());
    assert!(
        err(&short).contains("at least 12 characters"),
        "{}",
        err(&short)
    );
    let argv = admin(
        d,
        &[&add[..], &["--password", "mật khẩu đủ dài 12"]].concat(),
        "",
    );
    assert!(!argv.status.success(), "no --password flag");
    let ok = admin(d, &add, "mật khẩu đủ dài 12\n");
    assert!(ok.status.success(), "{}", err(&ok));
    assert!(err(&ok).contains("user lan (moderator, Nguyễn Thị Lan) created"));
    let again = admin(d, &add, "mật khẩu đủ dài 12\n");
    assert!(!again.status.success(), "the username is taken");
    let file = d.join("pw.txt");
    std::fs::write(&file, "một mật khẩu khác nữa\n").unwrap();
    let reset = admin(
        d,
        &[
            "reset-password",
            "--username",
            "lan",
            "--password-file",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert!(reset.status.success(), "{}", err(&reset));
    let disable = admin(d, &["disable-user", "--username", "lan"], "");
    assert!(disable.status.success(), "{}", err(&disable));
    let missing = admin(d, &["disable-user", "--username", "nobody"], "");
    assert!(!missing.status.success());
}
