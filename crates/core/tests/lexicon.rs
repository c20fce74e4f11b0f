//! Behaviour of the lexicon detector: data-driven cases on what is and is not a hit, and the
//! ViHOS span score on the dev split.

use quytac_core::detect::lexicon::{LexiconDetector, BUILTIN_SOURCES};
use quytac_core::eval::span_scores;
use quytac_core::finding::{Category, Detection};
use quytac_core::text::{slice_chars, Normalized};

fn detect(text: &str) -> Vec<Detection> {
    let mut out = Vec::new();
    LexiconDetector::builtin().detect(&Normalized::new(text), &mut out);
    out
}

/// Reads a CSV file with a header row (RFC 4180: quoted fields, doubled quotes, newlines
/// inside quotes). Enough for the dataset files; the core has no CSV dependency.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn parse_offsets(s: &str) -> Vec<usize> {
    s.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect()
}

#[test]
fn csv_reader_handles_quotes_and_newlines() {
    let rows = read_csv("a,b\n\"x, \"\"y\"\"\nz\",\"[1, 2]\"\nplain,[]\n");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        vec!["x, \"y\"\nz".to_string(), "[1, 2]".to_string()]
    );
    assert_eq!(parse_offsets(&rows[1][1]), vec![1, 2]);
    assert!(parse_offsets(&rows[2][1]).is_empty());
}

/// What the detector reports for `text`: `(category, evidence)` pairs in text order.
fn found(text: &str) -> Vec<(Category, String)> {
    let mut d = detect(text);
    d.sort_by_key(|x| (x.start, x.end));
    d.into_iter()
        .map(|x| (x.category, slice_chars(text, x.start, x.end).to_string()))
        .collect()
}

#[track_caller]
fn check(text: &str, expected: &[(Category, &str)]) {
    let got = found(text);
    let want: Vec<(Category, String)> = expected.iter().map(|&(c, e)| (c, e.to_string())).collect();
    assert_eq!(got, want, "text: {text:?}");
}

use Category::{
    GenderDiscrimination as Gender, Hate, Offensive, RegionalDiscrimination as Regional,
    ReligiousDiscrimination as Religious, Violence,
};

#[test]
fn profanity_and_insults() {
    check("địt mẹ mày", &[(Offensive, "địt mẹ mày")]);
    check("Đ.ị.t m.ẹ thằng kia", &[(Offensive, "Đ.ị.t m.ẹ thằng")]);
    check("dit me may", &[(Offensive, "dit me may")]);
    check("thằng ngu", &[(Offensive, "thằng ngu")]);
    check(
        "Mày đúng là óc chó",
        &[(Offensive, "Mày"), (Offensive, "óc chó")],
    );
    check("câm mồm lại đi", &[(Offensive, "câm mồm")]);
    check("nguuuu vl", &[(Offensive, "nguuuu vl")]);
    check("ngủ đi, ngu vừa thôi", &[(Offensive, "ngu")]);
    check("xạo lol vừa thôi", &[(Offensive, "xạo lol")]);
}

#[test]
fn group_slurs_and_discrimination() {
    check("bọn bắc kỳ", &[(Regional, "bọn bắc kỳ")]);
    check("lũ nam kỳ", &[(Regional, "lũ nam kỳ")]);
    check("bọn parky", &[(Regional, "bọn parky")]);
    check(
        "người miền Bắc toàn lũ lừa đảo",
        &[(Regional, "người miền Bắc toàn lũ lừa đảo")],
    );
    check("dân ba que", &[(Hate, "dân ba que")]);
    check("lũ súc vật", &[(Hate, "lũ súc vật")]);
    check(
        "mấy con bò đỏ vào sủa đi",
        &[(Hate, "con bò đỏ"), (Offensive, "sủa")],
    );
    check("đàn bà thì biết gì", &[(Gender, "đàn bà thì biết gì")]);
    check(
        "con gái thì chỉ biết khóc",
        &[(Gender, "con gái thì chỉ biết")],
    );
    check("đồ đàn bà", &[(Gender, "đồ đàn bà")]);
    check("thằng bê đê", &[(Gender, "thằng bê đê")]);
    check(
        "bọn hồi giáo khủng bố",
        &[(Religious, "bọn hồi giáo khủng bố")],
    );
    check("lũ sư hổ mang", &[(Religious, "lũ sư hổ mang")]);
}

/// Issue 13: group generalisations, women's-role stereotypes, disguised slurs; and the texts
/// next to them that must stay clean.
#[test]
fn generalisations_stereotypes_and_disguises() {
    check(
        "Nghệ An thì toàn bọn trộm cắp",
        &[(Regional, "Nghệ An thì toàn bọn trộm cắp")],
    );
    check(
        "dân Thanh Hóa bản chất là lừa lọc",
        &[(Regional, "dân Thanh Hóa bản chất là lừa lọc")],
    );
    check(
        "tỉnh Quảng Bình thì toàn lũ ăn cướp",
        &[(Regional, "tỉnh Quảng Bình thì toàn lũ ăn cướp")],
    );
    check(
        "con gái học lắm làm gì, cuối cùng cũng chỉ ở nhà",
        &[(Gender, "con gái học lắm làm gì, cuối cùng cũng chỉ ở nhà")],
    );
    check(
        "phụ nữ chỉ nên ở nhà nội trợ",
        &[(Gender, "phụ nữ chỉ nên ở nhà nội trợ")],
    );
    check(
        "việc của đàn bà là bếp núc",
        &[(Gender, "việc của đàn bà là bếp núc")],
    );
    check("bọn b4c kỳ", &[(Regional, "bọn b4c kỳ")]);
    check("bọn b&#7855;c kỳ", &[(Regional, "bọn b&#7855;c kỳ")]);
    check(
        "lũ b&#x1EAF;c k&#7923;",
        &[(Regional, "lũ b&#x1EAF;c k&#7923;")],
    );
    check("mấy thằng 3 que", &[(Hate, "mấy thằng 3 que")]);
    check("bọn cộng phỉ", &[(Hate, "bọn cộng phỉ")]);
    check("bọn c0ng ph1", &[(Hate, "bọn c0ng ph1")]);
    check("dân b4 que", &[(Hate, "dân b4 que")]);
    check("lũ b.a.c k.y", &[(Regional, "lũ b.a.c k.y")]);
    check(
        "người dân tộc toàn lũ lười biếng",
        &[(Hate, "người dân tộc toàn lũ lười biếng")],
    );
    check(
        "đồng tính là bệnh hoạn",
        &[(Gender, "đồng tính là bệnh hoạn")],
    );
    let clean = [
        "Dân tộc Mường sống ở Hòa Bình",
        "người Hoa kinh doanh giỏi",
        "người đồng tính cũng là người bình thường",
        "áo ba sọc đẹp",
        "tỉnh Nghệ An có nhiều đặc sản",
        "Nghệ An thì toàn đặc sản ngon",
        "Thanh Hóa là quê hương của tôi",
        "con gái học giỏi lắm",
        "phụ nữ học cao ngày càng nhiều",
        "con gái tôi học lắm, cuối cùng cũng đỗ đại học",
        "phụ nữ mang thai nên ở nhà nghỉ ngơi",
        "Đảng Cộng sản Việt Nam",
        "chủ nghĩa xã hội",
        "Con chó nhà tôi rất khôn",
        "AT&amp;T &#169; 2024",
    ];
    for text in clean {
        assert_eq!(found(text), vec![], "text: {text:?}");
    }
}

#[test]
fn violence() {
    check("giết hết bọn chúng", &[(Violence, "giết hết bọn chúng")]);
    check("chém chết nó đi", &[(Violence, "chém chết nó")]);
    check("đốt nhà nó", &[(Violence, "đốt nhà nó")]);
    check(
        "loại này phải tử hình",
        &[(Offensive, "loại"), (Violence, "phải tử hình")],
    );
}

#[test]
fn harmless_text_has_no_hit() {
    // False friends, bare group names, and words that an insult becomes without diacritics.
    let clean = [
        "Tôi đi ngủ đây, mai nói chuyện tiếp",
        "Hạt óc chó rất tốt cho sức khỏe",
        "Giết thời gian bằng cách đọc sách",
        "Anh ấy chém gió hay quá",
        "Con chó nhà tôi rất ngoan",
        "Người miền Bắc và người miền Nam đều là người Việt",
        "Hà Nội mùa thu đẹp lắm",
        "Phụ nữ Việt Nam anh hùng, bất khuất",
        "Đàn bà con gái đi chợ mua rau",
        "Mật ong rất ngọt, tôi thích đồ ngọt",
        "Cho tôi xin một lon bia",
        "Tặng cho má một bó hoa",
        "Do chó cắn nên phải đi tiêm phòng",
        "Đường Nam Kỳ Khởi Nghĩa đang sửa",
        "Tụi mọi người đi đâu rồi",
        "Mưa lũ gây thiệt hại lớn ở miền Trung",
        "Bị cáo bị tuyên án tử hình về tội giết người",
        "Đạo Phật dạy con người sống từ bi",
        "Thằng bé nhà tôi rất ngoan",
        "Chúng tôi đá bóng mỗi chiều",
        "Chết thật, tôi quên mất",
        "Nhớ đeo khẩu trang khi ra đường",
        "nho deo khau trang khi ra duong",
        "Tôi đang dùng máy tính",
        "Tàu cá Trung Quốc vào vùng biển",
        "Cám ơn bạn nhiều nha",
        "Bắc Kỳ thời Pháp thuộc có thủ phủ ở Hà Nội",
        "Cô ấy nhìn sáng sủa quá",
        "Trận bóng đá tối qua hay thật",
        "Dân tộc Mường sống ở Hòa Bình",
    ];
    for text in clean {
        assert_eq!(found(text), vec![], "text: {text:?}");
    }
}

#[test]
fn detections_carry_reason_and_score() {
    let d = detect("bọn bắc kỳ");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].reason, "lexicon: bọn bắc kỳ");
    assert!(d[0].score > 0.5 && d[0].score <= 1.0);
    assert_eq!(d[0].kind, None);
    // A hit read only on the plain key scores a little lower than the same hit with diacritics.
    let marked = detect("thằng ngu")[0].score;
    let plain = detect("thang ngu")[0].score;
    assert!(plain < marked);
}

#[test]
fn users_extend_and_rescore_lexicons() {
    let mine = "@category offensive\nđồ hâm hấp | 0.6\nngu | 0\n";
    let mut sources = BUILTIN_SOURCES.to_vec();
    sources.push(mine);
    let d = LexiconDetector::from_sources(&sources).unwrap();
    let run = |t: &str| {
        let mut out = Vec::new();
        d.detect(&Normalized::new(t), &mut out);
        out
    };
    assert_eq!(run("đồ hâm hấp").len(), 1);
    assert!(run("nó ngu").is_empty(), "score 0 silences an entry");
    assert_eq!(run("thằng ngu").len(), 1, "longer entries still count");
}

#[test]
fn bad_user_lexicon_reports_line() {
    let err = LexiconDetector::from_sources(&["@category offensive\nok\n{thằng ngu | 0.5\n"])
        .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn survives_hostile_text() {
    // Many overlapping hits in one long text: no panic, spans inside the text.
    let text = "đm thằng chó ngu vl ".repeat(2000);
    let n = text.chars().count();
    let d = detect(&text);
    assert!(!d.is_empty());
    assert!(d.iter().all(|x| x.start < x.end && x.end <= n));
    assert!(detect("").is_empty());
    assert!(detect("!!! 😡 ...").is_empty());
}

/// ViHOS dev split: character-span F1 from lexicons alone. See `quytac_core::eval`.
#[test]
fn vihos_dev_span_f1() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/datasets/vihos/dev.csv"
    );
    let Ok(csv) = std::fs::read_to_string(path) else {
        eprintln!("note: {path} not found; ViHOS span score not measured");
        return;
    };
    let rows = read_csv(&csv);
    assert_eq!(rows[0], vec!["content", "index_spans"]);
    let scores = span_scores(rows[1..].iter().map(|r| {
        let text = &r[0];
        let pred = detect(text).iter().map(|d| (d.start, d.end)).collect();
        (parse_offsets(&r[1]), pred, text.chars().count())
    }));
    eprintln!(
        "ViHOS dev ({} texts): per-text mean F1 {:.4}; pooled P {:.4} R {:.4} F1 {:.4}",
        scores.texts,
        scores.per_text_mean_f1,
        scores.pooled_precision,
        scores.pooled_recall,
        scores.pooled_f1
    );
    // Every data row is scored: the count follows the file (rows change when the shared data
    // is deduplicated), so only the header is left out.
    assert_eq!(scores.texts, rows.len() - 1);
    assert!(scores.texts > 0, "an empty dev file measures nothing");
    assert!(scores.per_text_mean_f1 >= 0.55, "{scores:?}");
    assert!(scores.pooled_f1 >= 0.45, "{scores:?}");
}
