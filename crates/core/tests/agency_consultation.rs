//! AG-6 consultations: the stance classifier measured on a small hand-written set of citizens'
//! comments on draft policies (with and without diacritics, teencode, negation, contrast),
//! and the most frequent points of a group of comments.

use quytac_core::agency::{classify_stance, frequent_points, Stance};
use Stance::*;

/// (comment, the stance a reader would give it). Written for this test; none is taken from
/// a real consultation.
const COMMENTS: &[(&str, Stance)] = &[
    // Support.
    ("Tôi hoàn toàn đồng tình với dự thảo này.", Support),
    ("Ủng hộ! Quy định này rất cần thiết cho người dân.", Support),
    (
        "Nhất trí với phương án miễn phí trông giữ xe tại bệnh viện.",
        Support,
    ),
    ("Tán thành chủ trương giảm thủ tục hành chính.", Support),
    (
        "Rất hay, mong sớm ban hành để người dân được hưởng lợi.",
        Support,
    ),
    ("toi dong tinh voi du thao, rat thiet thuc", Support),
    ("ung ho chu truong nay cua thanh pho", Support),
    ("Dự thảo rất hợp lý, tôi đồng ý.", Support),
    (
        "Hoan nghênh Sở đã lấy ý kiến người dân trước khi ban hành.",
        Support,
    ),
    ("Quy định này đúng đắn và phù hợp với thực tế.", Support),
    (
        "Tôi không phản đối, chủ trương này tốt cho người lao động.",
        Support,
    ),
    ("Cảm ơn ban soạn thảo, nội dung rất tốt.", Support),
    ("Gia đình tôi nhất trí cao với đề án.", Support),
    (
        "Đồng ý với việc kéo dài giờ làm việc của bộ phận một cửa.",
        Support,
    ),
    // Oppose.
    ("Tôi phản đối việc tăng phí trông giữ xe.", Oppose),
    (
        "Không đồng ý với mức thu này, quá cao so với thu nhập của người dân.",
        Oppose,
    ),
    ("Quy định này vô lý, đề nghị bác bỏ.", Oppose),
    ("ko dong y, muc phi qua cao", Oppose),
    (
        "Không nên cấm xe máy vào nội đô khi giao thông công cộng chưa đáp ứng.",
        Oppose,
    ),
    (
        "Tôi không ủng hộ dự thảo vì gây khó khăn cho hộ kinh doanh.",
        Oppose,
    ),
    ("Phương án này không khả thi ở vùng nông thôn.", Oppose),
    ("phan doi viec thu phi nay", Oppose),
    ("Dự thảo thiếu thực tế, đề nghị rút lại.", Oppose),
    (
        "Chúng tôi không thể đồng tình với quy định bắt buộc này.",
        Oppose,
    ),
    (
        "Quy định mới bất hợp lý và gây phiền hà cho người dân.",
        Oppose,
    ),
    (
        "Tôi chưa đồng tình với phương án sáp nhập hai trường.",
        Oppose,
    ),
    ("Không cần thiết phải thêm một loại giấy phép nữa.", Oppose),
    (
        "Mức phạt này không phù hợp với thu nhập ở địa phương.",
        Oppose,
    ),
    // Suggest.
    (
        "Đề nghị bổ sung quy định về hỗ trợ người cao tuổi.",
        Suggest,
    ),
    (
        "Kiến nghị ban soạn thảo làm rõ khái niệm hộ nghèo.",
        Suggest,
    ),
    (
        "Nên bổ sung thời hạn giải quyết hồ sơ là 5 ngày làm việc.",
        Suggest,
    ),
    (
        "Đề xuất miễn phí trông giữ xe cho người khuyết tật.",
        Suggest,
    ),
    (
        "Góp ý: điều 5 nên quy định rõ trách nhiệm của UBND xã.",
        Suggest,
    ),
    ("de nghi bo sung muc ho tro cho ho can ngheo", Suggest),
    (
        "Tôi đồng tình nhưng đề nghị bổ sung lộ trình thực hiện.",
        Suggest,
    ),
    (
        "Cần xem xét điều chỉnh mức hỗ trợ cho phù hợp với giá cả.",
        Suggest,
    ),
    ("Nên tách riêng quy định cho khu vực miền núi.", Suggest),
    (
        "Điều 7 cần sửa lại cho thống nhất với Luật Đất đai.",
        Suggest,
    ),
    (
        "Mong ban soạn thảo cân nhắc thời gian chuyển tiếp 6 tháng.",
        Suggest,
    ),
    (
        "Về cơ bản nhất trí, tuy nhiên cần làm rõ nguồn kinh phí thực hiện.",
        Suggest,
    ),
    ("Nen keo dai thoi gian lay y kien them 30 ngay.", Suggest),
    (
        "Thay vì cấm hoàn toàn, nên có khung giờ được phép.",
        Suggest,
    ),
    ("Đề nghị thay bằng hình thức nộp hồ sơ trực tuyến.", Suggest),
    ("Khoản 2 điều 3 nên thêm đối tượng là học sinh.", Suggest),
];

/// Written after the cue lists were fixed and never used to tune them: the honest figure.
const HELD_OUT: &[(&str, Stance)] = &[
    (
        "Chủ trương đúng, người dân chúng tôi rất mong chờ.",
        Support,
    ),
    ("Quá tốt, nên triển khai sớm trên toàn tỉnh.", Support),
    ("Tôi thấy phương án này ổn, hoàn toàn nhất trí.", Support),
    ("Rất ủng hộ việc số hóa hồ sơ đất đai.", Support),
    ("dong y 100%", Support),
    (
        "Xin cảm ơn UBND đã lắng nghe, dự thảo như vậy là hợp lý rồi.",
        Support,
    ),
    ("Tôi tán thành, đây là việc nên làm từ lâu.", Support),
    (
        "Mức thu này là quá sức với hộ nghèo, tôi không chấp nhận.",
        Oppose,
    ),
    (
        "Dự thảo này sẽ làm khổ tiểu thương, đề nghị dừng lại.",
        Oppose,
    ),
    ("Tôi kịch liệt phản đối.", Oppose),
    (
        "Không hợp lý chút nào khi bắt người dân tự chi trả.",
        Oppose,
    ),
    ("Chẳng ai đồng tình với kiểu thu phí này cả.", Oppose),
    (
        "Quy định này chỉ làm tăng thủ tục, không giải quyết được gì.",
        Oppose,
    ),
    ("ko ung ho, qua phien ha", Oppose),
    (
        "Đề nghị quy định cụ thể mức hỗ trợ theo từng nhóm đối tượng.",
        Suggest,
    ),
    ("Nên có thêm kênh tiếp nhận ý kiến qua Zalo.", Suggest),
    (
        "Cần bổ sung cơ chế giám sát của Hội đồng nhân dân xã.",
        Suggest,
    ),
    ("Điều 4 nên ghi rõ thời hạn trả kết quả.", Suggest),
    ("Kiến nghị giảm 50% lệ phí cho sinh viên.", Suggest),
    ("Theo tôi nên áp dụng thí điểm ở 2 phường trước.", Suggest),
    ("Đề xuất lùi thời điểm áp dụng sang năm 2027.", Suggest),
    ("Cơ bản đồng ý nhưng nên sửa khoản 3 cho rõ hơn.", Suggest),
    (
        "Tôi nghĩ cần thêm quy định xử lý vi phạm của cán bộ tiếp dân.",
        Suggest,
    ),
    ("de xuat bo sung huong dan cho nguoi cao tuoi", Suggest),
];

/// Accuracy of the classifier on a set, printed with its confusion matrix and errors.
fn measure(name: &str, set: &[(&str, Stance)]) -> f64 {
    let mut correct = 0;
    let mut confusion = [[0usize; 3]; 3];
    let idx = |s: Stance| Stance::ALL.iter().position(|x| *x == s).unwrap();
    let mut errors = Vec::new();
    for (text, want) in set {
        let got = classify_stance(text);
        confusion[idx(*want)][idx(got.stance)] += 1;
        if got.stance == *want {
            correct += 1;
        } else {
            errors.push(format!(
                "  {want} read as {}: {text} {:?}",
                got.stance, got.scores
            ));
        }
    }
    let accuracy = correct as f64 / set.len() as f64;
    println!(
        "stance accuracy on {name} ({} comments): {accuracy:.3} ({correct}/{})",
        set.len(),
        set.len()
    );
    println!("  confusion (rows gold support/oppose/suggest, columns predicted): {confusion:?}");
    for e in &errors {
        println!("{e}");
    }
    accuracy
}

#[test]
fn stance_accuracy_on_held_out_comments() {
    assert!(HELD_OUT.len() >= 20);
    let accuracy = measure("the held-out set", HELD_OUT);
    assert!(accuracy >= 0.75, "accuracy {accuracy:.3}");
}

#[test]
fn stance_accuracy_on_hand_written_comments() {
    assert!(COMMENTS.len() >= 40);
    let accuracy = measure("the development set", COMMENTS);
    assert!(accuracy >= 0.9, "accuracy {accuracy:.3}");
}

#[test]
fn diacritic_free_and_marked_comments_agree() {
    for (marked, plain) in [
        ("Tôi đồng tình với dự thảo", "toi dong tinh voi du thao"),
        ("Tôi không đồng ý", "toi khong dong y"),
        ("Đề nghị bổ sung điều khoản", "de nghi bo sung dieu khoan"),
    ] {
        assert_eq!(
            classify_stance(marked).stance,
            classify_stance(plain).stance,
            "{plain}"
        );
    }
    // "ngủ" is not "ngu", and likewise "đông" is not "đồng": a marked word that differs
    // is no cue.
    assert!(classify_stance("Trời đông tình hình ổn").uncued());
}

#[test]
fn cues_are_reported_with_their_spans() {
    let text = "Tôi không ủng hộ dự thảo.";
    let g = classify_stance(text);
    assert_eq!(g.stance, Oppose);
    let c = &g.cues[0];
    let span: String = text.chars().skip(c.start).take(c.end - c.start).collect();
    assert_eq!(span, "không ủng hộ");
}

#[test]
fn frequent_points_per_stance_group() {
    let oppose: Vec<&str> = COMMENTS
        .iter()
        .filter(|(_, s)| *s == Oppose)
        .map(|(t, _)| *t)
        .chain([
            "Phí trông giữ xe tăng gấp đôi là quá sức người dân.",
            "Tăng phí trông giữ xe lúc này không hợp lý.",
        ])
        .collect();
    let points = frequent_points(oppose.iter().copied(), 5);
    println!("oppose points: {points:?}");
    assert_eq!(points[0].phrase, "phí trông giữ xe");
    assert_eq!(points[0].comments, 3);
    assert!(points.iter().all(|p| p.comments >= 2));
    // Stance words are not points.
    assert!(points
        .iter()
        .all(|p| !p.phrase.contains("đồng ý") && !p.phrase.contains("phản đối")));
    assert!(frequent_points(["Một ý kiến duy nhất."], 5).is_empty());
}
