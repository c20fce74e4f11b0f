//! Unit tests of the recognisers and their helpers.

use super::checks::{cccd_info, luhn_valid, mst_valid};
use super::*;
use crate::text::slice_chars;
use proptest::prelude::*;

/// Compiled once for all tests (and all proptest cases).
fn det() -> &'static PersonalDataDetector {
    static DET: std::sync::LazyLock<PersonalDataDetector> =
        std::sync::LazyLock::new(PersonalDataDetector::new);
    &DET
}

/// (kind, matched text) pairs found in `text`.
fn found(text: &str) -> Vec<(PersonalDataKind, String)> {
    let mut out = Vec::new();
    det().detect(text, &mut out);
    out.iter()
        .map(|d| {
            (
                d.kind.expect("kind"),
                slice_chars(text, d.start, d.end).to_string(),
            )
        })
        .collect()
}

fn kinds(text: &str) -> Vec<PersonalDataKind> {
    found(text).into_iter().map(|x| x.0).collect()
}

use PersonalDataKind as K;

#[test]
fn checksums() {
    // 0100109106 (a real-format MST): weights give check digit 6.
    let d: Vec<u8> = "0100109106".bytes().map(|b| b - b'0').collect();
    assert!(mst_valid(&d));
    let bad: Vec<u8> = "0100109107".bytes().map(|b| b - b'0').collect();
    assert!(!mst_valid(&bad));
    let card: Vec<u8> = "4111111111111111".bytes().map(|b| b - b'0').collect();
    assert!(luhn_valid(&card));
    let card_bad: Vec<u8> = "4111111111111112".bytes().map(|b| b - b'0').collect();
    assert!(!luhn_valid(&card_bad));
}

#[test]
fn cccd_structure() {
    let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<u8>>();
    assert_eq!(cccd_info(&d("001090012345")), Some((1, false, 1990)));
    assert_eq!(cccd_info(&d("079305012345")), Some((79, true, 2005)));
    assert_eq!(
        cccd_info(&d("003090012345")),
        None,
        "003 is not a province code"
    );
    assert_eq!(cccd_info(&d("001230012345")), None, "born 2030");
}

#[test]
fn cccd_with_and_without_label() {
    assert_eq!(
        found("Số CCCD của tôi là 001090012345 nhé"),
        vec![(K::Cccd, "001090012345".into())]
    );
    assert_eq!(kinds("gửi em 079203001122 để làm hồ sơ"), vec![K::Cccd]);
    let mut out = Vec::new();
    det().detect("CCCD 001090012345", &mut out);
    assert!(out[0].reason.starts_with("CCCD number"));
    // The note does not decode the number: no birthplace, sex or birth year.
    for decoded in ["001", "male", "1990", "90"] {
        assert!(!out[0].reason.contains(decoded), "{}", out[0].reason);
    }
    // Invalid province, future birth year.
    assert!(kinds("mã 003090012345").is_empty());
    assert!(kinds("gửi em 001290012345").is_empty());
}

#[test]
fn cmnd_needs_a_label() {
    assert_eq!(kinds("CMND: 012345678 cấp tại Hà Nội"), vec![K::Cmnd]);
    assert_eq!(kinds("số chứng minh 187654321"), vec![K::Cmnd]);
    assert_eq!(kinds("Số CMND/CCCD: 125678901"), vec![K::Cmnd]);
    assert!(kinds("được 125678901 lượt xem").is_empty());
    assert!(kinds("con số 125678901 thật ấn tượng").is_empty());
}

#[test]
fn phones_in_many_shapes() {
    for t in [
        "gọi 0912345678",
        "0912 345 678",
        "+84 912.345.678",
        "0912-345-678",
        "(+84) 987 654 321",
        "84912345678",
        "sdt 0387.123.456 nha",
    ] {
        assert_eq!(kinds(t), vec![K::Phone], "{t}");
    }
    // Invalid prefixes and embedded numbers.
    for t in [
        "0112345678",
        "0412345678",
        "01212345678",
        "DH0912345678",
        "09123456789",
        "0912345678.5",
    ] {
        assert!(kinds(t).is_empty(), "{t}");
    }
    assert_eq!(kinds("Tel: (024) 3825 1234"), vec![K::Phone]);
    assert!(kinds("mã 02438251234").is_empty());
}

#[test]
fn phones_with_a_split_prefix() {
    for (t, want) in [
        ("gọi 09.12.34.56.78 nhé", "09.12.34.56.78"),
        ("09 12 34 56 78", "09 12 34 56 78"),
        ("zalo: 03-87-12-34-56", "03-87-12-34-56"),
        ("ib hoặc gọi 0 9 8 7 6 5 4 3 2 1", "0 9 8 7 6 5 4 3 2 1"),
        ("liên hệ 0.9.1.2.3.4.5.6.7.8 ạ", "0.9.1.2.3.4.5.6.7.8"),
        ("+84 9 1 2 3 4 5 6 7 8", "+84 9 1 2 3 4 5 6 7 8"),
    ] {
        assert_eq!(found(t), vec![(K::Phone, want.to_string())], "{t}");
    }
    // Same digits, not a phone: mixed separators (dates, ranges), an invalid prefix, a label
    // that makes it an amount or a code, a longer run of pairs or digits.
    for t in [
        "07.09.2023-05.12.2023",
        "01.12.34.56.78",
        "giá 09.12.34.56.78",
        "09.12.34.56.78.90",
        "0 9 8 7 6 5 4 3 2 1 0",
        "ngày 12.03.2024, giá 120.000đ, bản 1.2.3",
        "tỉ số 0 - 1, 2 - 3",
    ] {
        assert!(kinds(t).is_empty(), "{t}: {:?}", found(t));
    }
}

#[test]
fn split_phone_shapes() {
    use super::contact::{split_phone_shape, SplitPhone};
    assert_eq!(split_phone_shape("09.12.34.56.78"), Some(SplitPhone::Pairs));
    assert_eq!(
        split_phone_shape("0 9 1 2 3 4 5 6 7 8"),
        Some(SplitPhone::Digits)
    );
    assert_eq!(split_phone_shape("09.12-34.56.78"), None);
    assert_eq!(split_phone_shape("04.12.34.56.78"), None);
    assert_eq!(
        split_phone_shape("+84 9 1 2 3 4 5 6 7 8"),
        Some(SplitPhone::Digits)
    );
    assert_eq!(split_phone_shape(""), None);
}

#[test]
fn emails() {
    assert_eq!(
        found("mail: nguyen.van.a92@gmail.com."),
        vec![(K::Email, "nguyen.van.a92@gmail.com".into())]
    );
    assert!(kinds("icon@2x.png và @admin").is_empty());
}

#[test]
fn tax_codes() {
    assert_eq!(kinds("MST: 0100109106"), vec![K::TaxCode]);
    assert_eq!(kinds("chi nhánh 0100109106-001"), vec![K::TaxCode]);
    assert!(kinds("MST: 0100109107").is_empty(), "bad check digit");
    assert!(kinds("số 0100109106").is_empty(), "bare MST needs a label");
}

#[test]
fn phone_shape_wins_unless_tax_label() {
    // 0912345678 as MST: check digit?
    let d: Vec<u8> = "0383000007".bytes().map(|b| b - b'0').collect();
    let valid = mst_valid(&d);
    let k = kinds("MST 0383000007");
    if valid {
        assert_eq!(k, vec![K::TaxCode]);
    } else {
        assert_eq!(k, vec![K::Phone]);
    }
    assert_eq!(kinds("SĐT 0383000007"), vec![K::Phone]);
}

#[test]
fn cards_and_accounts() {
    assert_eq!(kinds("thẻ 9704 0000 0000 0018"), vec![K::BankCard]);
    assert_eq!(kinds("9704000000000018"), vec![K::BankCard]);
    assert!(kinds("9704000000000017").is_empty(), "Luhn");
    assert_eq!(kinds("STK 0071000612345 Vietcombank"), vec![K::BankAccount]);
    assert_eq!(kinds("0071000612345 Vietcombank"), vec![K::BankAccount]);
    assert_eq!(kinds("STK MB: 0912345678"), vec![K::BankAccount]);
    assert_eq!(
        found("STK 19031234567890 hoặc 0071000612345"),
        vec![
            (K::BankAccount, "19031234567890".into()),
            (K::BankAccount, "0071000612345".into())
        ]
    );
    assert!(kinds("chuyển khoản 1.500.000 đồng vào tài khoản").is_empty());
    assert!(kinds("tài khoản có 1500000 follower").is_empty());
}

#[test]
fn plates() {
    for t in [
        "30A-123.45",
        "29-B1 123.45",
        "51F-12345",
        "xe 30A12345",
        "biển 59X1 23456",
    ] {
        assert_eq!(kinds(t), vec![K::Plate], "{t}");
    }
    for t in ["TV 55UK6300", "lớp 12A1 2023", "01A-12345"] {
        assert!(kinds(t).is_empty(), "{t}");
    }
}

#[test]
fn passports() {
    assert_eq!(kinds("hộ chiếu số C1234567"), vec![K::Passport]);
    assert_eq!(kinds("B7654321"), vec![K::Passport]);
    assert!(kinds("mã sản phẩm B1234567").is_empty());
    assert!(kinds("AB1234567").is_empty());
}

#[test]
fn dates_of_birth() {
    assert_eq!(
        found("sinh ngày 12/03/1990 tại Hà Nội"),
        vec![(K::Dob, "12/03/1990".into())]
    );
    assert_eq!(
        found("Ngày sinh: 5 tháng 6 năm 1988"),
        vec![(K::Dob, "5 tháng 6 năm 1988".into())]
    );
    assert_eq!(kinds("DOB 1990-03-12"), vec![K::Dob]);
    assert!(kinds("ngày 12/12/2018 trời mưa").is_empty());
    assert!(kinds("tiệc sinh nhật ngày 20/11/2023").is_empty());
    assert!(kinds("sinh ngày 31/02/1990").is_empty(), "no such day");
}

#[test]
fn addresses() {
    let a = found("Nhà tôi ở số 12 ngõ 34 phố Huế, phường Phố Huế, quận Hai Bà Trưng.");
    assert_eq!(
        a,
        vec![(
            K::Address,
            "số 12 ngõ 34 phố Huế, phường Phố Huế, quận Hai Bà Trưng".into()
        )]
    );
    assert_eq!(kinds("123 Nguyễn Trãi, phường 2, quận 5"), vec![K::Address]);
    assert_eq!(
        kinds("thôn 3, xã Yên Phong, huyện Yên Phong, tỉnh Bắc Ninh"),
        vec![K::Address]
    );
    assert_eq!(
        kinds("Địa chỉ: 45/12 Lê Văn Sỹ, P.13, Q.3, TP.HCM"),
        vec![K::Address]
    );
    assert!(kinds("Năm 2020, quận 1 có 10 phường").is_empty());
    assert!(kinds("Tôi sống ở quận 7 đã 5 năm").is_empty());
}

#[test]
fn rural_address_without_digits() {
    // No digit at all: the "xã"/"huyện" pre-filter still lets the address through.
    assert_eq!(
        found("Quê tôi ở thôn Đông, xã Yên Phong, huyện Yên Phong"),
        vec![(
            K::Address,
            "thôn Đông, xã Yên Phong, huyện Yên Phong".into()
        )]
    );
}

#[test]
fn numbered_institutions_are_not_houses() {
    assert!(kinds("học sinh trường Tiểu học số 2 Nghĩa Tân, quận Cầu Giấy").is_empty());
    assert!(kinds("Xe buýt số 32 Kim Mã, quận Ba Đình").is_empty());
    assert_eq!(
        kinds("Cháy tại nhà số 45 ngõ 12 Khâm Thiên, Đống Đa"),
        vec![K::Address]
    );
}

#[test]
fn small_numbers_do_not_hide_a_label() {
    assert_eq!(kinds("CMND 12 số: 089069477841"), vec![K::Cmnd]);
    assert_eq!(kinds("Zalo 24/7: 0912345678"), vec![K::Phone]);
    // A real number in between does: the MST label is not the phone's.
    assert_eq!(
        kinds("MST: 0100109106, SĐT: 0912345678"),
        vec![K::TaxCode, K::Phone]
    );
}

#[test]
fn dotted_cmnd_only_after_its_label() {
    assert_eq!(kinds("CMT 186.543.210"), vec![K::Cmnd]);
    assert!(kinds("được 186.543.210 lượt").is_empty());
}

#[test]
fn other_card_networks_need_a_label() {
    assert_eq!(kinds("thẻ visa 4111 1111 1111 1111"), vec![K::BankCard]);
    assert!(kinds("mã 4111111111111111").is_empty());
    assert!(kinds("4111111111111111").is_empty());
}

#[test]
fn international_trunk_zero() {
    assert_eq!(kinds("Sđt: +84 (0) 912 345 678"), vec![K::Phone]);
}

#[test]
fn many_hits_in_a_long_text() {
    // Offsets stay exact (chars, not bytes) far into a long non-ASCII text.
    let unit = "Gọi số 0912345678 nhé. ";
    let t = unit.repeat(500);
    let mut out = Vec::new();
    det().detect(&t, &mut out);
    assert_eq!(out.len(), 500);
    let last = out.last().expect("hits");
    assert_eq!(slice_chars(&t, last.start, last.end), "0912345678");
    assert_eq!(last.start, 499 * unit.chars().count() + 7);
}

#[test]
fn hard_negatives() {
    for t in [
        "Giá chỉ 1.250.000 đồng",
        "giá 2.500.000đ, ship 35k",
        "lương 12,5 triệu",
        "năm 2019 có 3.500.000 người",
        "lúc 14:30 ngày 12/12/2018",
        "mã đơn hàng DH123456789",
        "đơn #20231205001",
        "mã vận đơn 8123456789",
        "Số: 12/QĐ-UBND",
        "Quyết định 874/QĐ-BTTTT",
        "tăng 12,5% so với 2018",
        "phiên bản 1.2.3456",
    ] {
        assert!(kinds(t).is_empty(), "{t}: {:?}", found(t));
    }
}

#[test]
fn overlapping_kinds_resolve_to_one() {
    let t = "CCCD 001090012345, SĐT 0912345678, MST 0100109106";
    assert_eq!(kinds(t), vec![K::Cccd, K::Phone, K::TaxCode]);
}

#[test]
fn offsets_are_chars() {
    let t = "Điện thoại: 0912345678";
    let mut out = Vec::new();
    det().detect(t, &mut out);
    assert_eq!((out[0].start, out[0].end), (12, 22));
    assert_eq!(slice_chars(t, out[0].start, out[0].end), "0912345678");
}

#[test]
fn no_digits_no_work() {
    let mut out = Vec::new();
    det().detect("không có số nào ở đây cả", &mut out);
    assert!(out.is_empty());
}

#[test]
fn scoring_matches_by_kind_and_iou() {
    let pred = vec![
        Detection {
            category: Category::PersonalData,
            start: 0,
            end: 10,
            score: 0.9,
            kind: Some(K::Phone),
            reason: String::new(),
        },
        Detection {
            category: Category::PersonalData,
            start: 20,
            end: 22,
            score: 0.9,
            kind: Some(K::Email),
            reason: String::new(),
        },
    ];
    let gold = [(1, 10, K::Phone), (20, 30, K::Email), (40, 50, K::Dob)];
    let s = score_spans(&gold, &pred);
    assert_eq!(
        s.get(K::Phone),
        KindCounts {
            true_positives: 1,
            false_positives: 0,
            false_negatives: 0
        }
    );
    // IoU 0.2: a miss and a false alarm.
    assert_eq!(s.get(K::Email).false_positives, 1);
    assert_eq!(s.get(K::Email).false_negatives, 1);
    assert_eq!(s.get(K::Dob).recall(), 0.0);
    assert_eq!(s.get(K::Plate).precision(), 1.0);
    assert!(s.table().contains("phone"));
    assert!((span_iou((0, 10), (5, 15)) - 5.0 / 15.0).abs() < 1e-9);
}

proptest! {
    #[test]
    fn never_panics_and_spans_are_in_bounds(s in "\\PC{0,80}") {
        let d = det();
        let mut out = Vec::new();
        d.detect(&s, &mut out);
        let n = s.chars().count();
        for x in &out {
            prop_assert!(x.start < x.end && x.end <= n);
            prop_assert!((0.0..=1.0).contains(&x.score));
            prop_assert!(x.kind.is_some());
        }
    }

    #[test]
    fn digit_heavy_strings_are_safe(s in "[0-9 .\\-+()/:a-zA-Z@ạđươ]{0,60}") {
        let d = det();
        let mut out = Vec::new();
        d.detect(&s, &mut out);
        let n = s.chars().count();
        for x in &out {
            prop_assert!(x.start < x.end && x.end <= n);
        }
    }
}
