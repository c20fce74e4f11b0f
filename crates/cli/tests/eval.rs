//! `quytac eval` must not flatter: a file with no data is an error, never a perfect score.

use std::process::Command;

fn eval(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quytac"))
        .arg("eval")
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("quytac runs")
}

/// A file in the system's temporary folder, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("quytac-eval-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn an_empty_file_is_an_error_for_every_text_task() {
    let labels = TempFile::new("labels.csv", "free_text,label_id\n");
    let spans = TempFile::new("spans.csv", "content,index_spans\n");
    let personal = TempFile::new("personal.jsonl", "\n");
    for args in [
        vec!["--data", labels.path(), "--task", "labels"],
        vec!["--data", labels.path(), "--task", "model"],
        vec!["--data", spans.path(), "--task", "spans"],
        vec!["--data", personal.path(), "--task", "personal-data"],
    ] {
        let out = eval(&args);
        assert!(!out.status.success(), "{args:?} succeeded on an empty file");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("1.000"),
            "{args:?} printed a score: {stdout}"
        );
    }
}

#[test]
fn scores_come_with_a_confidence_interval() {
    let data = TempFile::new(
        "small.csv",
        "free_text,label_id\nhôm nay trời đẹp quá,0\nđồ ngu như bò,1\ncảm ơn bạn nhiều,0\n\
         mày ngu vãi,1\nbọn bắc kỳ cút đi,2\nchúc mọi người vui vẻ,0\n",
    );
    let out = eval(&["--data", data.path(), "--task", "model"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("macro-F1"))
        .expect("a macro-F1 line");
    assert!(line.contains("95% CI"), "{line}");
}

#[test]
fn news_style_binary_labels_use_the_models_two_way_threshold() {
    let main = TempFile::new(
        "main.csv",
        "free_text,label_id\nhôm nay trời đẹp quá,0\ncảm ơn bạn nhiều nhé,0\nmón này ngon lắm,0\n\
         chúc mọi người vui vẻ,0\nđồ ngu như bò,1\nmày ngu vãi,1\nthằng này ngu thật,1\n\
         óc chó vãi,1\nbọn bắc kỳ cút đi,2\nlũ ba que chết hết đi,2\nbọn nam kỳ rác rưởi,2\n\
         cút hết bọn ba que,2\n",
    );
    let news = TempFile::new(
        "news.csv",
        "Comment,Toxicity\nbài viết hay quá,0\ncảm ơn tác giả,0\ntin này đúng quá,0\n\
         ủng hộ bài báo,0\nđồ khốn nạn,1\nkhốn nạn thật,1\nlũ khốn nạn,1\nngu như bò,1\n",
    );
    let model = TempFile::new("model.qtc", "");
    let out = Command::new(env!("CARGO_BIN_EXE_quytac"))
        .args(["train", "--data", main.path()])
        .args([
            "--also",
            &format!("{}:Comment:Toxicity:binary:1", news.path()),
        ])
        .args(["--toxic-threshold-on", news.path()])
        .args(["--hash-bits", "14", "--folds", "3", "--out", model.path()])
        .output()
        .expect("quytac runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = [
        "--data",
        news.path(),
        "--task",
        "model",
        "--model",
        model.path(),
        "--text-col",
        "Comment",
        "--label-col",
        "Toxicity",
        "--labels",
        "binary",
    ];
    let out = eval(&base);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(the model's two-way threshold)"),
        "the model carries a two-way threshold: {stdout}"
    );
    // A threshold given on the command line replaces it.
    let mut given = base.to_vec();
    given.extend(["--offensive-threshold", "0.5"]);
    let out = eval(&given);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("two-way threshold"), "{stdout}");
}

#[test]
fn span_eval_compares_attribution_cuts_and_scores_what_check_reports() {
    let data = TempFile::new(
        "cuts.csv",
        "content,index_spans\n\"mày là cái thứ gì mà dám lên tiếng, im đi đồ vô học\",\"[46, 47, 48, 49, 50]\"\n\
         hôm nay trời đẹp quá,[]\n",
    );
    let spans_with_cuts = |cuts: &str| {
        eval(&[
            "--data",
            data.path(),
            "--task",
            "spans",
            "--min-share",
            cuts,
        ])
    };
    let out = spans_with_cuts("0.2,0.4");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("-- attribution cut").count(), 2, "{stdout}");
    assert!(stdout.contains("`quytac check`"), "{stdout}");
    let out = spans_with_cuts("1.5");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("outside 0..=1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_trained_span_model_is_evaluated_beside_check_and_bad_input_is_refused() {
    let mut csv = String::from("content,index_spans\n");
    for (i, name) in ["an", "bình", "chi", "dũng", "hoa", "minh", "lan", "nam"]
        .iter()
        .enumerate()
    {
        if i % 2 == 0 {
            let text = format!("{name} là đồ ngu");
            let start = text.chars().count() - 6;
            let gold: Vec<String> = (start..start + 6).map(|c| c.to_string()).collect();
            csv.push_str(&format!("{text},\"[{}]\"\n", gold.join(", ")));
        } else {
            csv.push_str(&format!("{name} là người tốt,[]\n"));
        }
    }
    let data = TempFile::new("span-train.csv", &csv);
    let model = TempFile::new("spans.qtc", "");
    let train = |data: &TempFile, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_quytac"))
            .args(["train-spans", "--data", data.path(), "--hash-bits", "12"])
            .args(["--folds", "2", "--out", model.path()])
            .args(extra)
            .output()
            .expect("quytac runs")
    };
    let eval_spans = |span_model: &str| {
        eval(&[
            "--data",
            data.path(),
            "--task",
            "spans",
            "--span-model",
            span_model,
        ])
    };
    let out = train(&data, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("<- chosen"), "{stderr}");
    let out = eval_spans(model.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("the span model alone"), "{stdout}");
    // The label evaluation takes it too (it places evidence; labels are the engine's).
    let labels = TempFile::new("span-labels.csv", "free_text,label_id\nhoa là đồ ngu,1\n");
    let out = eval(&["--data", labels.path(), "--span-model", model.path()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("macro-F1"));
    // Every text held out: nothing to train on.
    let out = train(&data, &["--holdout", &format!("{}:content", data.path())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no training rows"));
    // A spans column that is not a list of offsets names its row.
    let bad = TempFile::new("span-bad.csv", "content,index_spans\nđồ ngu,\"[1, x]\"\n");
    let out = train(&bad, &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("row 2: index_spans is not a list"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A file that is not a span model is refused by name.
    let out = eval_spans(data.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot load span model"));
}
