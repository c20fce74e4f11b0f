//! Personal-data recognisers (`personal_data` category): CCCD, CMND, phone, e-mail, tax code,
//! bank account, bank card, licence plate, passport, street address and date of birth, following
//! the identifier formats of RULES.md.
//!
//! How it works, and why:
//!
//! * **Pre-filter and gates.** Every kind needs an ASCII digit, except e-mail (`@`) and
//!   digit-free rural addresses (which always name a "xã" or "huyện"). Most posts have none of
//!   these, so they cost a few byte scans. Each recogniser also has a cheap necessary condition
//!   (a minimum digit count, a plate-like start, a birth word anywhere in the text): a regex
//!   search per number in a post costs more than everything else together.
//! * **Shape first, then validation.** A handful of regexes find candidate shapes (phone, bare
//!   number tokens, plates, passports, dates, e-mails, address anchors). Each candidate is then
//!   validated with what the formats give us: CCCD province code and a possible birth year, the
//!   MST check digit, Luhn for cards, mobile prefixes, plate locality, calendar dates.
//! * **Context labels decide the ambiguous cases.** Many identifiers are just digit runs (a
//!   9-digit CMND, a bank account). We look at the words just before the number (back to the
//!   previous number, at most [`BEFORE_CHARS`] chars) and take the *nearest* label: "STK" makes
//!   an account, "MST" a tax code, "mã đơn hàng" or "giá" makes it not personal at all. Cutting
//!   the window at the previous number keeps "MST: …, SĐT: 0912…" from leaking the MST label onto
//!   the phone; list joiners ("hoặc", ",") are hopped over so "STK 123… hoặc 456…" shares it.
//! * **One span, one kind.** All candidates are collected with a score, then the best-scoring
//!   non-overlapping ones are kept: a labelled tax code beats the phone reading of the same
//!   digits, a CCCD is never also a CMND.
//!
//! Offsets are converted once, at the end, from bytes to chars (Unicode scalar values).
//!
//! Known gaps (deliberate or not yet handled): numbers typed digit by digit to dodge filters
//! ("0 9 8 7 …"); "Birthday:" (left out because "sinh nhật"/birthday dates are usually party
//! dates); a birth year alone ("sinh năm 1990") is not a `dob`; a bare 9-digit number is never a
//! CMND and a bare 10-digit MST never a tax code (both need a label); cards of other networks
//! than NAPAS 9704 need a card label; landlines need a phone label or `+84`/`(0xx)` formatting;
//! the address grammar matches NFC text only (labels are NFC-normalised, address keywords not).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aho_corasick::AhoCorasick;
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use crate::finding::{Category, Detection, PersonalDataKind};

/// Birth years after this are impossible. Fixed rather than read from the clock so that the
/// core stays pure and results are reproducible.
pub const REFERENCE_YEAR: u32 = 2026;

/// How far back (in chars) a context label may be from the identifier it qualifies.
const BEFORE_CHARS: usize = 60;
/// How far forward (in chars) we look for a label written after the identifier.
const AFTER_CHARS: usize = 30;

/// CCCD province codes (RULES.md, "Identifier formats").
const CCCD_PROVINCES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// What a context word says about a nearby identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Cccd,
    Cmnd,
    Phone,
    Tax,
    /// "STK", "số tài khoản", a bank's name: a following number is an account.
    Bank,
    /// "tài khoản", "chuyển khoản", "ngân hàng": weaker, so it needs a longer number.
    BankWeak,
    Card,
    Passport,
    Plate,
    /// "ngày sinh", "sinh ngày", "DOB".
    Dob,
    /// "sinh", "sn": only right before the date.
    DobWeak,
    /// "sinh nhật", "học sinh", …: words containing a birth word that are not about a birth date.
    NotDob,
    /// "địa chỉ", "trú tại", "nhà ở", …
    Address,
    /// Order, transaction, document and product codes, prices and amounts: the number is not
    /// personal data.
    NotPersonal,
}

impl Label {
    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Context words, lower-case NFC. Matched whole-word; the nearest one wins, and on a tie the
/// longer one ("số tài khoản" over "tài khoản", "sinh nhật" over "sinh").
const LABELS: &[(&str, Label)] = &[
    // CCCD
    ("cccd", Label::Cccd),
    ("căn cước", Label::Cccd),
    ("căn cước công dân", Label::Cccd),
    ("thẻ căn cước", Label::Cccd),
    ("can cuoc", Label::Cccd),
    ("số định danh", Label::Cccd),
    ("so dinh danh", Label::Cccd),
    ("mã định danh", Label::Cccd),
    ("định danh cá nhân", Label::Cccd),
    ("id card", Label::Cccd),
    ("citizen id", Label::Cccd),
    // CMND
    ("cmnd", Label::Cmnd),
    ("cmt", Label::Cmnd),
    ("cmtnd", Label::Cmnd),
    ("chứng minh", Label::Cmnd),
    ("chứng minh thư", Label::Cmnd),
    ("chứng minh nhân dân", Label::Cmnd),
    ("chung minh", Label::Cmnd),
    ("giấy cmnd", Label::Cmnd),
    // Phone
    ("sđt", Label::Phone),
    ("sdt", Label::Phone),
    ("số điện thoại", Label::Phone),
    ("so dien thoai", Label::Phone),
    ("điện thoại", Label::Phone),
    ("dien thoai", Label::Phone),
    ("đt", Label::Phone),
    ("dt", Label::Phone),
    ("đthoai", Label::Phone),
    ("dđ", Label::Phone),
    ("di động", Label::Phone),
    ("hotline", Label::Phone),
    ("zalo", Label::Phone),
    ("gọi", Label::Phone),
    ("goi", Label::Phone),
    ("liên hệ", Label::Phone),
    ("lien he", Label::Phone),
    ("lh", Label::Phone),
    ("alo", Label::Phone),
    ("nhắn tin", Label::Phone),
    ("nhắn", Label::Phone),
    ("số máy", Label::Phone),
    ("call", Label::Phone),
    ("phone", Label::Phone),
    ("tel", Label::Phone),
    ("mobile", Label::Phone),
    ("fax", Label::Phone),
    ("viber", Label::Phone),
    ("sms", Label::Phone),
    // Tax code
    ("mst", Label::Tax),
    ("mã số thuế", Label::Tax),
    ("ma so thue", Label::Tax),
    ("mã thuế", Label::Tax),
    ("mã số doanh nghiệp", Label::Tax),
    ("msdn", Label::Tax),
    ("tax code", Label::Tax),
    ("tax id", Label::Tax),
    // Bank account (strong)
    ("stk", Label::Bank),
    ("số tài khoản", Label::Bank),
    ("so tai khoan", Label::Bank),
    ("số tk", Label::Bank),
    ("so tk", Label::Bank),
    ("tk ngân hàng", Label::Bank),
    ("account number", Label::Bank),
    ("vietcombank", Label::Bank),
    ("vcb", Label::Bank),
    ("techcombank", Label::Bank),
    ("tcb", Label::Bank),
    ("bidv", Label::Bank),
    ("agribank", Label::Bank),
    ("mb", Label::Bank),
    ("mbbank", Label::Bank),
    ("mb bank", Label::Bank),
    ("acb", Label::Bank),
    ("vpbank", Label::Bank),
    ("vp bank", Label::Bank),
    ("tpbank", Label::Bank),
    ("tp bank", Label::Bank),
    ("sacombank", Label::Bank),
    ("vietinbank", Label::Bank),
    ("viettinbank", Label::Bank),
    ("shb", Label::Bank),
    ("hdbank", Label::Bank),
    ("ocb", Label::Bank),
    ("msb", Label::Bank),
    ("vib", Label::Bank),
    ("seabank", Label::Bank),
    ("eximbank", Label::Bank),
    ("scb", Label::Bank),
    ("lpbank", Label::Bank),
    ("lienvietpostbank", Label::Bank),
    ("nam a bank", Label::Bank),
    ("namabank", Label::Bank),
    ("abbank", Label::Bank),
    ("bac a bank", Label::Bank),
    ("bắc á", Label::Bank),
    ("pvcombank", Label::Bank),
    ("kienlongbank", Label::Bank),
    ("ncb", Label::Bank),
    ("oceanbank", Label::Bank),
    ("bvbank", Label::Bank),
    ("vietabank", Label::Bank),
    ("saigonbank", Label::Bank),
    ("timo", Label::Bank),
    ("cake", Label::Bank),
    // Bank account (weak)
    ("tài khoản", Label::BankWeak),
    ("tai khoan", Label::BankWeak),
    ("tk", Label::BankWeak),
    ("chuyển khoản", Label::BankWeak),
    ("chuyen khoan", Label::BankWeak),
    ("ck", Label::BankWeak),
    ("ngân hàng", Label::BankWeak),
    ("ngan hang", Label::BankWeak),
    ("bank", Label::BankWeak),
    // Card
    ("thẻ", Label::Card),
    ("số thẻ", Label::Card),
    ("so the", Label::Card),
    ("thẻ atm", Label::Card),
    ("atm", Label::Card),
    ("napas", Label::Card),
    ("card", Label::Card),
    ("visa", Label::Card),
    ("mastercard", Label::Card),
    ("thẻ ghi nợ", Label::Card),
    ("thẻ tín dụng", Label::Card),
    // Passport
    ("hộ chiếu", Label::Passport),
    ("ho chieu", Label::Passport),
    ("passport", Label::Passport),
    ("hc", Label::Passport),
    // Plate
    ("biển số", Label::Plate),
    ("bien so", Label::Plate),
    ("biển kiểm soát", Label::Plate),
    ("biển", Label::Plate),
    ("bks", Label::Plate),
    ("bsx", Label::Plate),
    ("xe", Label::Plate),
    ("ô tô", Label::Plate),
    ("oto", Label::Plate),
    ("xe máy", Label::Plate),
    ("plate", Label::Plate),
    // Date of birth
    ("sinh ngày", Label::Dob),
    ("sinh ngay", Label::Dob),
    ("ngày sinh", Label::Dob),
    ("ngay sinh", Label::Dob),
    ("ngày tháng năm sinh", Label::Dob),
    ("ngày/tháng/năm sinh", Label::Dob),
    ("năm sinh", Label::Dob),
    ("sinh vào ngày", Label::Dob),
    ("dob", Label::Dob),
    ("d.o.b", Label::Dob),
    ("date of birth", Label::Dob),
    ("birth date", Label::Dob),
    ("birthdate", Label::Dob),
    ("born on", Label::Dob),
    ("sinh", Label::DobWeak),
    ("sn", Label::DobWeak),
    ("ns", Label::DobWeak),
    ("born", Label::DobWeak),
    ("sinh nhật", Label::NotDob),
    ("sinh nhat", Label::NotDob),
    ("học sinh", Label::NotDob),
    ("sinh viên", Label::NotDob),
    ("sinh hoạt", Label::NotDob),
    ("sinh sống", Label::NotDob),
    ("phát sinh", Label::NotDob),
    ("vệ sinh", Label::NotDob),
    ("hy sinh", Label::NotDob),
    ("sinh con", Label::NotDob),
    // Address
    ("địa chỉ", Label::Address),
    ("dia chi", Label::Address),
    ("đ/c", Label::Address),
    ("đc", Label::Address),
    ("nhà ở", Label::Address),
    ("sống tại", Label::Address),
    ("sống ở", Label::Address),
    ("trú tại", Label::Address),
    ("trú ở", Label::Address),
    ("thường trú", Label::Address),
    ("tạm trú", Label::Address),
    ("cư trú", Label::Address),
    ("nơi ở", Label::Address),
    ("nhà riêng", Label::Address),
    ("trụ sở", Label::Address),
    ("quê quán", Label::Address),
    ("nguyên quán", Label::Address),
    ("address", Label::Address),
    ("văn phòng", Label::Address),
    ("chi nhánh", Label::Address),
    // Not personal: codes, documents, amounts
    ("mã", Label::NotPersonal),
    ("ma", Label::NotPersonal),
    ("mã đơn", Label::NotPersonal),
    ("đơn hàng", Label::NotPersonal),
    ("mã đơn hàng", Label::NotPersonal),
    ("vận đơn", Label::NotPersonal),
    ("mã vận đơn", Label::NotPersonal),
    ("hóa đơn", Label::NotPersonal),
    ("hoá đơn", Label::NotPersonal),
    ("order", Label::NotPersonal),
    ("giao dịch", Label::NotPersonal),
    ("mã gd", Label::NotPersonal),
    ("gd", Label::NotPersonal),
    ("ref", Label::NotPersonal),
    ("tracking", Label::NotPersonal),
    ("serial", Label::NotPersonal),
    ("seri", Label::NotPersonal),
    ("imei", Label::NotPersonal),
    ("sku", Label::NotPersonal),
    ("model", Label::NotPersonal),
    ("mẫu", Label::NotPersonal),
    ("mẫu số", Label::NotPersonal),
    ("lô", Label::NotPersonal),
    ("lô hàng", Label::NotPersonal),
    ("otp", Label::NotPersonal),
    ("số hiệu", Label::NotPersonal),
    ("ký hiệu", Label::NotPersonal),
    ("quyết định", Label::NotPersonal),
    ("công văn", Label::NotPersonal),
    ("văn bản", Label::NotPersonal),
    ("thông tư", Label::NotPersonal),
    ("nghị định", Label::NotPersonal),
    ("số báo danh", Label::NotPersonal),
    ("sbd", Label::NotPersonal),
    ("mssv", Label::NotPersonal),
    ("lớp", Label::NotPersonal),
    ("uid", Label::NotPersonal),
    ("id", Label::NotPersonal),
    ("facebook", Label::NotPersonal),
    ("fb", Label::NotPersonal),
    ("giá", Label::NotPersonal),
    ("số tiền", Label::NotPersonal),
    ("tiền mặt", Label::NotPersonal),
    ("tổng cộng", Label::NotPersonal),
    ("tổng số", Label::NotPersonal),
    ("tổng tiền", Label::NotPersonal),
    ("lương", Label::NotPersonal),
    ("phí", Label::NotPersonal),
    ("doanh thu", Label::NotPersonal),
    ("thu nhập", Label::NotPersonal),
];

/// Words that, right after a number, make it an amount or a count, not an identifier.
const UNITS_AFTER: &[&str] = &[
    "đ",
    "đồng",
    "dong",
    "vnd",
    "vnđ",
    "k",
    "tr",
    "triệu",
    "trieu",
    "tỷ",
    "tỉ",
    "nghìn",
    "ngàn",
    "usd",
    "$",
    "%",
    "người",
    "lượt",
    "km",
    "m2",
    "m²",
    "kg",
    "ha",
    "tấn",
    "view",
    "like",
    "follow",
    "follower",
    "followers",
    "lần",
    "hộ",
    "năm",
    "tháng",
    "ngày",
    "giờ",
    "phút",
];

/// Province-level names (before the 2025 merger, plus common short forms). A bare name after a
/// comma in an address counts as an administrative unit when it is one of these.
const PROVINCES: &[&str] = &[
    "hà nội",
    "hn",
    "hồ chí minh",
    "hcm",
    "tphcm",
    "tp.hcm",
    "sài gòn",
    "sg",
    "hải phòng",
    "đà nẵng",
    "cần thơ",
    "an giang",
    "bà rịa - vũng tàu",
    "vũng tàu",
    "bắc giang",
    "bắc kạn",
    "bạc liêu",
    "bắc ninh",
    "bến tre",
    "bình định",
    "bình dương",
    "bình phước",
    "bình thuận",
    "cà mau",
    "cao bằng",
    "đắk lắk",
    "đắk nông",
    "điện biên",
    "đồng nai",
    "đồng tháp",
    "gia lai",
    "hà giang",
    "hà nam",
    "hà tĩnh",
    "hải dương",
    "hậu giang",
    "hòa bình",
    "hoà bình",
    "hưng yên",
    "khánh hòa",
    "khánh hoà",
    "kiên giang",
    "kon tum",
    "lai châu",
    "lâm đồng",
    "lạng sơn",
    "lào cai",
    "long an",
    "nam định",
    "nghệ an",
    "ninh bình",
    "ninh thuận",
    "phú thọ",
    "phú yên",
    "quảng bình",
    "quảng nam",
    "quảng ngãi",
    "quảng ninh",
    "quảng trị",
    "sóc trăng",
    "sơn la",
    "tây ninh",
    "thái bình",
    "thái nguyên",
    "thanh hóa",
    "thanh hoá",
    "thừa thiên huế",
    "huế",
    "tiền giang",
    "trà vinh",
    "tuyên quang",
    "vĩnh long",
    "vĩnh phúc",
    "yên bái",
];

/// A candidate span in byte offsets, before overlap resolution.
#[derive(Debug, Clone)]
struct Candidate {
    start: usize,
    end: usize,
    kind: PersonalDataKind,
    score: f32,
    reason: String,
}

/// Labels found in a context window.
#[derive(Debug, Default, Clone, Copy)]
struct LabelInfo {
    /// The label closest to the identifier.
    nearest: Option<Label>,
    /// Chars between that label and the identifier.
    gap: usize,
    /// Every label seen in the window (bit set of [`Label::bit`]).
    set: u32,
}

impl LabelInfo {
    fn has(&self, l: Label) -> bool {
        self.set & l.bit() != 0
    }
    fn nearest_is(&self, l: Label) -> bool {
        self.nearest == Some(l)
    }
}

/// The digits and grouping of a number token such as `0912 345 678` or `0101234567-001`.
#[derive(Debug, Clone, Copy)]
struct NumShape {
    digits: [u8; 24],
    n: usize,
    groups: [u8; 8],
    ngroups: usize,
    has_space: bool,
    has_dot: bool,
    has_dash: bool,
}

impl NumShape {
    /// Parses digits separated by single spaces, dots or dashes. `None` when too long to be any
    /// identifier.
    fn parse(raw: &str) -> Option<NumShape> {
        let mut s = NumShape {
            digits: [0; 24],
            n: 0,
            groups: [0; 8],
            ngroups: 1,
            has_space: false,
            has_dot: false,
            has_dash: false,
        };
        for b in raw.bytes() {
            match b {
                b'0'..=b'9' => {
                    if s.n == s.digits.len() {
                        return None;
                    }
                    s.digits[s.n] = b - b'0';
                    s.n += 1;
                    s.groups[s.ngroups - 1] += 1;
                }
                _ => {
                    if s.ngroups == s.groups.len() {
                        return None;
                    }
                    s.ngroups += 1;
                    match b {
                        b' ' => s.has_space = true,
                        b'.' => s.has_dot = true,
                        _ => s.has_dash = true,
                    }
                }
            }
        }
        Some(s)
    }

    fn digits(&self) -> &[u8] {
        &self.digits[..self.n]
    }

    fn groups(&self) -> &[u8] {
        &self.groups[..self.ngroups]
    }

    /// `1.250.000`, `12.000.000.000`: thousands grouping, so an amount or a count. Identifiers
    /// written with dots (`001.090.012.345`) start with 0, amounts never do.
    fn money_like(&self) -> bool {
        self.has_dot
            && !self.has_space
            && !self.has_dash
            && self.ngroups >= 2
            && (1..=3).contains(&self.groups[0])
            && self.groups()[1..].iter().all(|&g| g == 3)
            && self.digits[0] != 0
    }

    /// `0101234567-001`: a tax code with a branch suffix.
    fn tax_branch_shape(&self) -> bool {
        self.ngroups == 2 && self.groups[0] == 10 && self.groups[1] == 3 && self.has_dash
    }
}

/// CCCD structure: province code, century/sex digit, a birth year that has happened.
fn cccd_info(d: &[u8]) -> Option<(u16, bool, u32)> {
    if d.len() != 12 {
        return None;
    }
    let province = d[0] as u16 * 100 + d[1] as u16 * 10 + d[2] as u16;
    if !CCCD_PROVINCES.contains(&province) {
        return None;
    }
    let g = d[3] as u32;
    let year = 1900 + 100 * (g / 2) + d[4] as u32 * 10 + d[5] as u32;
    if year > REFERENCE_YEAR {
        return None;
    }
    Some((province, g % 2 == 1, year))
}

/// MST check digit (RULES.md): d10 = 10 − (Σ wᵢ·dᵢ mod 11); a result of 10 means invalid.
fn mst_valid(d: &[u8]) -> bool {
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    if d.len() < 10 {
        return false;
    }
    let sum: u32 = W.iter().zip(d).map(|(w, &x)| w * x as u32).sum();
    let check = 10 - sum % 11;
    check != 10 && check == d[9] as u32
}

/// Luhn checksum, used by domestic (NAPAS 9704) cards.
// `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn luhn_valid(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = x as u32;
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

fn next_char(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

fn char_len_at(text: &str, at: usize) -> usize {
    next_char(text, at).map_or(1, char::len_utf8)
}

/// Left boundary of a number-like identifier: not inside a word, a longer number, a code
/// (`DH-123…`, `#123…`), a decimal (`12,5`) or a time (`14:30`).
fn left_ok(text: &str, start: usize) -> bool {
    left_ok_spaced(text, start, false)
}

/// [`left_ok`], and when the identifier itself is written in space-separated groups, not
/// preceded by digit + space either: "2876 0786 9051 70" is one grouped number, not a phone
/// "0786 9051 70" after some digits.
fn left_ok_spaced(text: &str, start: usize, spaced: bool) -> bool {
    let Some(p) = prev_char(text, start) else {
        return true;
    };
    if p.is_alphanumeric() || matches!(p, '_' | '#' | '@' | '+' | '$' | '&' | '=') {
        return false;
    }
    let pp = prev_char(text, start - p.len_utf8());
    match p {
        '.' | ',' | '-' | '/' | '\\' => !pp.is_some_and(|c| c.is_alphanumeric()),
        ':' => !pp.is_some_and(|c| c.is_ascii_digit()),
        ' ' if spaced => !pp.is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Right boundary: not followed by more of a word or number (`0912345678.5`, `…-123`, `%`).
/// `spaced`: the identifier itself contains spaces, so a following space + digit means it is
/// part of a longer grouped number.
fn right_ok(text: &str, end: usize, spaced: bool) -> bool {
    let Some(c) = next_char(text, end) else {
        return true;
    };
    if c.is_alphanumeric() || matches!(c, '_' | '%' | '@') {
        return false;
    }
    let after = next_char(text, end + c.len_utf8());
    match c {
        '.' | ',' | '-' | '/' | ':' => !after.is_some_and(|a| a.is_ascii_digit()),
        ' ' if spaced => !after.is_some_and(|a| a.is_ascii_digit()),
        _ => true,
    }
}

/// Whether the text between two numbers only joins them into a list.
fn is_joiner(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_whitespace() || ",;/-–&+()|".contains(c));
    if t.is_empty() {
        return true;
    }
    if t.len() > 6 {
        return false;
    }
    matches!(
        t.to_lowercase().as_str(),
        "hoặc" | "hoac" | "hay" | "và" | "va" | "or" | "and"
    )
}

/// Start of the context segment ending at `end`: back to the previous number of 3 digits or
/// more (exclusive) or [`BEFORE_CHARS`] chars. The flag tells whether it stopped at a number.
/// One- and two-digit runs do not cut the segment: they belong to label phrases ("CMND 12 số:",
/// "Zalo 24/7:"), not to identifiers.
fn segment_start(text: &str, end: usize) -> (usize, bool) {
    let mut a = end;
    let mut run = 0; // length of the digit run being walked over
    let mut run_end = end;
    for (n, (i, c)) in text[..end].char_indices().rev().enumerate() {
        if c.is_ascii_digit() {
            if run == 0 {
                run_end = i + 1;
            }
            run += 1;
            if run >= 3 {
                return (run_end, true);
            }
        } else {
            run = 0;
        }
        if n >= BEFORE_CHARS {
            return (a, false);
        }
        a = i;
    }
    (a, false)
}

/// The context window before byte `start`. When it only joins this number to a previous one
/// ("STK 123… hoặc 456…"), the window before that previous number is used instead, so list
/// items share their label.
fn before_window(text: &str, start: usize) -> &str {
    let mut end = start;
    for hop in 0..3 {
        let (a, at_digit) = segment_start(text, end);
        if at_digit && hop < 2 && is_joiner(&text[a..end]) {
            // Skip back over the previous number (digits and the separators inside it).
            let mut b = a;
            for (i, c) in text[..a].char_indices().rev() {
                if c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '/') {
                    b = i;
                } else {
                    break;
                }
            }
            end = b;
            continue;
        }
        return &text[a..end];
    }
    &text[end..end]
}

/// The context window after byte `end`: up to the next ASCII digit or [`AFTER_CHARS`] chars.
fn after_window(text: &str, end: usize) -> &str {
    let mut stop = text.len();
    for (n, (i, c)) in text[end..].char_indices().enumerate() {
        if n >= AFTER_CHARS || c.is_ascii_digit() {
            stop = end + i;
            break;
        }
    }
    &text[end..stop]
}

/// Whether `after` (the text right after a number) starts with a unit or currency word.
fn unit_follows(after: &str) -> bool {
    let t = after.trim_start();
    if t.len() == after.len() && !after.is_empty() {
        // "350k", "500đ" are rejected by the right boundary; here only "350 k" etc. matter,
        // but "%"/"$" may touch the number.
        if !(t.starts_with('%') || t.starts_with('$')) {
            return false;
        }
    }
    let head: String = t.chars().take(12).flat_map(char::to_lowercase).collect();
    UNITS_AFTER.iter().any(|u| {
        head.starts_with(u)
            && !head[u.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    })
}

/// Whether some plate could start in `b`: two digits, at most 3 spaces/dashes, then an
/// uppercase ASCII letter (the locality and series of every plate shape). A necessary
/// condition, so the plate regex runs only on texts that pass it.
fn plate_start_exists(b: &[u8]) -> bool {
    b.windows(2).enumerate().any(|(i, w)| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && b[i + 2..]
                .iter()
                .take(4)
                .find(|&&c| c != b' ' && c != b'-')
                .is_some_and(u8::is_ascii_uppercase)
    })
}

/// Chars in a UTF-8 byte slice: every byte that does not continue a sequence starts one.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Number tokens as byte ranges: digit runs joined by single spaces, dots or dashes
/// (`0912 345 678`, `1.250.000`, `0101234567-001`), maximal. A byte loop, because a regex
/// search per number costs more than the whole scan.
fn number_tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        i += b[i.min(b.len())..].iter().position(u8::is_ascii_digit)?;
        let start = i;
        loop {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && matches!(b[i], b' ' | b'.' | b'-') && b[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        Some((start, i))
    })
}

/// A regex match loop that, when the callback rejects a match, resumes one char after its start
/// (not after its end), so a valid match that begins inside a rejected one is not lost.
fn each_match(re: &Regex, text: &str, mut f: impl FnMut(regex::Match<'_>) -> bool) {
    let mut pos = 0;
    while pos <= text.len() {
        let Some(m) = re.find_at(text, pos) else {
            break;
        };
        pos = if f(m) {
            m.end().max(m.start() + 1)
        } else {
            m.start() + char_len_at(text, m.start())
        };
        while pos < text.len() && !text.is_char_boundary(pos) {
            pos += 1;
        }
    }
}

/// Which part of an address a unit keyword introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// ngõ, ngách, hẻm, kiệt: with a number, as good as a house number.
    Lane,
    /// đường, phố.
    Street,
    /// thôn, xóm, ấp, tổ, khu phố, …
    Hamlet,
    /// phường, xã, quận, huyện, thị xã, thị trấn, thành phố, tỉnh.
    Admin,
}

fn unit_of(keyword: &str) -> Option<Unit> {
    let k: String = keyword
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Some(match k.as_str() {
        "ngõ" | "ngách" | "hẻm" | "kiệt" => Unit::Lane,
        "đường" | "phố" => Unit::Street,
        "tổ dân phố" | "tdp" | "khu phố" | "kp" | "khu đô thị" | "kđt" | "tổ" | "khu" | "khối"
        | "thôn" | "xóm" | "ấp" | "bản" | "làng" => Unit::Hamlet,
        "phường" | "xã" | "thị trấn" | "thị xã" | "thành phố" | "quận" | "huyện" | "tỉnh"
        | "tp" | "tx" | "tt" | "p" | "q" | "f" => Unit::Admin,
        _ => return None,
    })
}

/// Compiled address grammar. Each regex is anchored and applied to the rest of the text.
struct AddressGrammar {
    anchor: Regex,
    sep: Regex,
    house: Regex,
    unit: Regex,
    abbr: Regex,
    value_num: Regex,
    name: Regex,
}

/// What an address parse found.
#[derive(Debug, Default)]
struct AddressParse {
    end: usize,
    house: bool,
    hamlet: bool,
    street: bool,
    admin: usize,
    names: usize,
}

/// Recognises personal data in one text. Build once with [`PersonalDataDetector::new`]; `detect`
/// takes `&self` and allocates only when a text contains a candidate.
pub struct PersonalDataDetector {
    email: Regex,
    phone: Regex,
    landline: Regex,
    plate: Regex,
    date: Regex,
    address: AddressGrammar,
    labels: AhoCorasick,
    /// ASCII words that every birth label contains (any case).
    birth_words: AhoCorasick,
}

impl Default for PersonalDataDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl PersonalDataDetector {
    pub fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("personal_data regex");
        let labels = AhoCorasick::new(LABELS.iter().map(|(k, _)| *k)).expect("label automaton");
        PersonalDataDetector {
            email: re(
                r"[A-Za-z0-9](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_])?@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}",
            ),
            // (+84|84|0) + mobile prefix + 7 digits, with optional single separators; "+84 (0)"
            // is the international form that keeps the trunk zero.
            phone: re(
                r"(?:\(\+84\)[ .\-]?|\+84[ .\-]?(?:\(0\)[ .\-]?)?|84[ .\-]?|0)(?:3[2-9]|5[2689]|7[06-9]|8[1-9]|9[0-46-9])(?:[ .\-]?[0-9]){7}",
            ),
            // Landlines: 0 + 2x(x) area code, 10 significant digits in all.
            landline: re(r"(?:\(\+84\)[ .\-]?|\+84[ .\-]?|\(0|0)2[0-9](?:[ .\-)]{0,2}[0-9]){8}"),
            plate: re(
                r"(?P<loc>[0-9]{2})(?P<s1> ?- ?| )?(?P<ser>MĐ[0-9]?|[A-Z]{1,2}[0-9]?)(?P<s2> ?[\-.] ?| )?(?P<num>[0-9]{3}\.[0-9]{2}|[0-9]{4,5})",
            ),
            date: re(
                r"(?P<d>[0-9]{1,2}) ?[/.\-] ?(?P<m>[0-9]{1,2}) ?[/.\-] ?(?P<y>[0-9]{4}|[0-9]{2})|(?P<y2>[0-9]{4})[/.\-](?P<m2>[0-9]{1,2})[/.\-](?P<d2>[0-9]{1,2})|(?P<d3>[0-9]{1,2})\s+(?i:tháng)\s+(?P<m3>[0-9]{1,2})\s*,?\s+(?i:năm)\s+(?P<y3>[0-9]{4})",
            ),
            address: AddressGrammar {
                // Where an address may start: a house-number word, a hamlet word, or a bare
                // number followed by a street (a capitalised word or a street keyword), so the
                // many numbers that start nothing cost no extra search.
                anchor: re(concat!(
                    r"(?i:số\s+nhà|nhà\s+số|số|ngõ|ngách|hẻm|kiệt)\s*[0-9]",
                    r"|(?i:tổ\s+dân\s+phố|khu\s+phố|thôn|xóm|ấp|bản|làng|tổ|kp|khu|khối)\s+(?:[0-9]|\p{Lu})",
                    r"|[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3} +(?:\p{Lu}|(?i:đường|phố|ngõ|ngách|hẻm|kiệt)\s)",
                )),
                sep: re(r"^(?:\s*[,;]\s*|\s+[-–]\s+|\s+)"),
                house: re(
                    r"^(?:(?i:số\s+nhà|nhà\s+số|số)\s*)?[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3}",
                ),
                unit: re(
                    r"^(?i:(?P<kw>tổ\s+dân\s+phố|tdp|khu\s+phố|khu\s+đô\s+thị|kđt|thị\s+trấn|thị\s+xã|thành\s+phố|ngõ|ngách|hẻm|kiệt|đường|phố|tổ|kp|khu|khối|thôn|xóm|ấp|bản|làng|phường|xã|quận|huyện|tỉnh|tp|tx|tt))(?:\.\s*|\s+)",
                ),
                abbr: re(r"^(?P<kw>[PpQqFf])(?:\.\s?|)(?P<v>[0-9]{1,2})|^(?P<kw2>[PQ])\.\s?"),
                value_num: re(r"^[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4}[A-Za-z]?){0,3}"),
                name: re(r"^\p{Lu}[\p{L}\p{M}]*(?: \p{Lu}[\p{L}\p{M}]*){0,5}"),
            },
            labels,
            birth_words: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["sinh", "sn", "ns", "dob", "d.o.b", "birth", "born"])
                .expect("birth word automaton"),
        }
    }

    /// Pushes one [`Detection`] per personal-data span found in `text` (category
    /// `personal_data`, `kind` set, char offsets into `text`), in text order.
    pub fn detect(&self, text: &str, out: &mut Vec<Detection>) {
        let bytes = text.as_bytes();
        // One pass (vectorised) gives a cheap gate per recogniser: each needs a minimum number
        // of digits, and most posts with numbers have only a price or a date.
        let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
        let has_digit = digits > 0;
        let has_at = bytes.contains(&b'@');
        // Rural addresses ("thôn Đông, xã X, huyện Y") may have no digit at all; they always
        // name a commune or district, so two substring scans keep them without slowing the
        // common digit-free post.
        let rural = !has_digit
            && ["xã", "Xã", "XÃ", "huyện", "Huyện", "HUYỆN"]
                .iter()
                .any(|k| text.contains(k));
        if !has_digit && !has_at && !rural {
            return;
        }
        let mut cands = Vec::new();
        if has_at {
            self.find_emails(text, &mut cands);
        }
        if has_digit {
            let upper = bytes.iter().any(u8::is_ascii_uppercase);
            if digits >= 10 {
                // Mobile: 0 + 9 digits; landline: 0 + 10.
                self.find_phones(text, digits, &mut cands);
            }
            if digits >= 6 {
                // Shortest: a 6-digit account number.
                self.find_numbers(text, &mut cands);
            }
            if digits >= 6 && upper && plate_start_exists(bytes) {
                self.find_plates(text, &mut cands);
            }
            if digits >= 7 && upper {
                self.find_passports(text, &mut cands);
            }
            // Every birth label contains one of these ASCII words, so a text without any has
            // no date of birth: most dates in posts are not birth dates, and this skips them.
            if digits >= 4 && self.birth_words.is_match(text) {
                self.find_dobs(text, &mut cands);
            }
            self.find_addresses(text, &mut cands);
        } else if rural {
            self.find_addresses(text, &mut cands);
        }
        if cands.is_empty() {
            return;
        }
        // One span, one kind: best score first, then the longer span.
        cands.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
        });
        let mut kept: Vec<Candidate> = Vec::with_capacity(cands.len());
        for c in cands {
            if kept.iter().all(|k| c.end <= k.start || k.end <= c.start) {
                kept.push(c);
            }
        }
        kept.sort_by_key(|c| c.start);
        // Byte → char offsets in one forward pass: the kept spans are sorted and disjoint, so
        // a long text with many hits stays linear.
        let (mut byte, mut chars) = (0, 0);
        let mut advance = |to: usize| {
            chars += char_count(&text.as_bytes()[byte..to]);
            byte = to;
            chars
        };
        for c in kept {
            let start = advance(c.start);
            let end = advance(c.end);
            out.push(Detection {
                category: Category::PersonalData,
                start,
                end,
                score: c.score.clamp(0.0, 1.0),
                kind: Some(c.kind),
                reason: c.reason,
            });
        }
    }

    /// Labels in a context window. `before`: the nearest label is the one that ends last;
    /// otherwise (a window after the identifier) the one that starts first.
    fn labels_in(&self, window: &str, before: bool) -> LabelInfo {
        let mut info = LabelInfo::default();
        if window.trim().is_empty() {
            return info;
        }
        // NFC so decomposed input ("căn cước" typed with combining marks) still matches; most
        // text is NFC already, and the quick check avoids the work.
        let norm = if window.is_ascii() {
            window.to_ascii_lowercase()
        } else if unicode_normalization::is_nfc_quick(window.chars())
            == unicode_normalization::IsNormalized::Yes
        {
            window.to_lowercase()
        } else {
            window.nfc().collect::<String>().to_lowercase()
        };
        let mut best: Option<(usize, usize, Label)> = None;
        for m in self.labels.find_overlapping_iter(&norm) {
            let (s, e) = (m.start(), m.end());
            let bounded = !prev_char(&norm, s).is_some_and(char::is_alphanumeric)
                && !next_char(&norm, e).is_some_and(char::is_alphanumeric);
            if !bounded {
                continue;
            }
            let label = LABELS[m.pattern().as_usize()].1;
            info.set |= label.bit();
            let better = match best {
                None => true,
                Some((bs, be, _)) if before => e > be || (e == be && s < bs),
                Some((bs, be, _)) => s < bs || (s == bs && e > be),
            };
            if better {
                best = Some((s, e, label));
            }
        }
        if let Some((s, e, label)) = best {
            info.nearest = Some(label);
            info.gap = if before {
                norm[e..].chars().count()
            } else {
                norm[..s].chars().count()
            };
        }
        info
    }

    fn before(&self, text: &str, start: usize) -> LabelInfo {
        self.labels_in(before_window(text, start), true)
    }

    fn after(&self, text: &str, end: usize) -> LabelInfo {
        self.labels_in(after_window(text, end), false)
    }

    fn find_emails(&self, text: &str, cands: &mut Vec<Candidate>) {
        for m in self.email.find_iter(text) {
            if prev_char(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '.') {
                continue;
            }
            if next_char(text, m.end()).is_some_and(|c| c.is_alphanumeric() || c == '@') {
                continue;
            }
            // "icon@2x.png": retina image names look like addresses.
            let tld = m
                .as_str()
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if matches!(
                tld.as_str(),
                "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "bmp" | "ico"
            ) {
                continue;
            }
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Email,
                score: 0.98,
                reason: "e-mail address".into(),
            });
        }
    }

    fn find_phones(&self, text: &str, digits: usize, cands: &mut Vec<Candidate>) {
        each_match(&self.phone, text, |m| {
            let spaced = m.as_str().contains(' ');
            if !left_ok_spaced(text, m.start(), spaced) || !right_ok(text, m.end(), spaced) {
                return false;
            }
            let before = self.before(text, m.start());
            let score = match before.nearest {
                Some(Label::NotPersonal) => return false,
                Some(Label::Phone) => 0.97,
                // Another identifier's label ("STK", "MST"): still a phone shape, but a labelled
                // reading of the same digits should win.
                Some(Label::Cccd | Label::Cmnd | Label::Tax | Label::Bank | Label::BankWeak)
                | Some(Label::Card | Label::Passport) => 0.7,
                _ if self.after(text, m.end()).nearest_is(Label::Phone) => 0.95,
                _ => 0.9,
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Phone,
                score,
                reason: "mobile phone number".into(),
            });
            true
        });
        if digits < 11 || !text.contains('2') {
            return;
        }
        each_match(&self.landline, text, |m| {
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), m.as_str().contains(' ')) {
                return false;
            }
            let before = self.before(text, m.start());
            let labelled = before.nearest_is(Label::Phone)
                || (before.nearest.is_none() && self.after(text, m.end()).nearest_is(Label::Phone));
            let formatted = m.as_str().starts_with('(') || m.as_str().starts_with('+');
            // A bare 11-digit number starting 02 is as likely an order number as a landline.
            let score = if labelled {
                0.9
            } else if formatted && before.nearest.is_none() {
                0.8
            } else {
                return false;
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Phone,
                score,
                reason: "landline phone number".into(),
            });
            true
        });
    }

    /// Bare number tokens: CCCD, CMND, tax code, bank card, bank account.
    fn find_numbers(&self, text: &str, cands: &mut Vec<Candidate>) {
        for (start, end) in number_tokens(text) {
            if end - start < 6 {
                continue;
            }
            if !left_ok(text, start) || !right_ok(text, end, false) {
                continue;
            }
            if let Some(c) = self.classify_number(text, start, end) {
                cands.push(c);
                continue;
            }
            // "CCCD 001090012345 0912345678": a space may also just separate two numbers.
            let token = &text[start..end];
            if token.contains(' ') {
                let mut off = start;
                for piece in token.split(' ') {
                    let (s, e) = (off, off + piece.len());
                    off = e + 1;
                    if piece.len() >= 6 {
                        if let Some(c) = self.classify_number(text, s, e) {
                            cands.push(c);
                        }
                    }
                }
            }
        }
    }

    fn classify_number(&self, text: &str, start: usize, end: usize) -> Option<Candidate> {
        let shape = NumShape::parse(&text[start..end])?;
        let n = shape.n;
        if !(6..=19).contains(&n) {
            return None;
        }
        // Grouped numbers need real groups: "1 2 3 4 5 6" is not an identifier.
        if shape.ngroups > 1 && shape.groups().iter().any(|&g| g < 2) {
            return None;
        }
        let after_text = after_window(text, end);
        if unit_follows(after_text) {
            return None;
        }
        let before = self.before(text, start);
        if before.nearest_is(Label::NotPersonal) {
            return None;
        }
        // Thousands grouping means an amount, except right after an ID label: nobody writes
        // an amount after "CMND", but some write "CMT 186.543.210".
        let id_label = matches!(before.nearest, Some(Label::Cmnd | Label::Cccd)) && before.gap <= 3;
        if shape.money_like() && !id_label {
            return None;
        }
        let d = shape.digits();
        let mk = |kind, score: f32, reason: String| {
            Some(Candidate {
                start,
                end,
                kind,
                score,
                reason,
            })
        };
        let cccd = cccd_info(d);
        let cccd_reason = |(p, female, year): (u16, bool, u32)| {
            format!(
                "CCCD number (province {p:03}, {} born {year})",
                if female { "female" } else { "male" }
            )
        };
        let tax_ok = (n == 10 && mst_valid(d))
            || ((shape.tax_branch_shape() || (n == 13 && shape.ngroups == 1)) && mst_valid(d));
        let card_ok = (16..=19).contains(&n) && d.starts_with(&[9, 7, 0, 4]) && luhn_valid(d);

        // A NAPAS card is self-validating (prefix + Luhn), whatever the label says.
        if card_ok {
            let labelled = matches!(
                before.nearest,
                Some(Label::Card | Label::Bank | Label::BankWeak)
            );
            let score = if labelled { 0.98 } else { 0.93 };
            return mk(
                PersonalDataKind::BankCard,
                score,
                "domestic bank card number (NAPAS 9704, Luhn valid)".into(),
            );
        }

        // Other card networks (Visa 4…, Mastercard 5…/2…, JCB 35…, Amex 3…): Luhn alone is too
        // weak for a bare number, so only under a card label.
        if before.nearest_is(Label::Card)
            && (13..=19).contains(&n)
            && matches!(d[0], 2..=6)
            && luhn_valid(d)
        {
            return mk(
                PersonalDataKind::BankCard,
                0.92,
                "payment card number (Luhn valid, labelled)".into(),
            );
        }

        // The nearest label decides.
        match before.nearest {
            Some(Label::Bank) if (6..=19).contains(&n) => {
                return mk(
                    PersonalDataKind::BankAccount,
                    0.95,
                    "bank account number (labelled)".into(),
                );
            }
            Some(Label::BankWeak) if (9..=19).contains(&n) => {
                return mk(
                    PersonalDataKind::BankAccount,
                    0.9,
                    "bank account number (labelled)".into(),
                );
            }
            Some(Label::Tax) if tax_ok => {
                return mk(
                    PersonalDataKind::TaxCode,
                    0.97,
                    "tax code (MST, valid check digit)".into(),
                );
            }
            Some(Label::Tax) if cccd.is_some() => {
                // Since 1 Jul 2025 the CCCD number is also the personal tax code.
                return mk(PersonalDataKind::Cccd, 0.93, cccd_reason(cccd?));
            }
            // "CCCD/CMND: <valid CCCD>": both labels, the structure decides.
            Some(Label::Cmnd) if before.has(Label::Cccd) && cccd.is_some() => {
                return mk(PersonalDataKind::Cccd, 0.95, cccd_reason(cccd?));
            }
            Some(Label::Cmnd) if n == 9 || n == 12 => {
                return mk(
                    PersonalDataKind::Cmnd,
                    0.95,
                    format!("CMND number ({n} digits, labelled)"),
                );
            }
            Some(Label::Cccd) if cccd.is_some() => {
                return mk(PersonalDataKind::Cccd, 0.98, cccd_reason(cccd?));
            }
            Some(Label::Cccd) if n == 9 => {
                // An old 9-digit ID written under a "CCCD" label.
                return mk(
                    PersonalDataKind::Cmnd,
                    0.9,
                    "CMND number (9 digits, ID label)".into(),
                );
            }
            _ => {}
        }

        // A label further away in the same clause ("Số CMND/CCCD: …").
        if before.has(Label::Cmnd) && n == 9 {
            return mk(
                PersonalDataKind::Cmnd,
                0.92,
                "CMND number (9 digits, labelled)".into(),
            );
        }
        if before.has(Label::Cccd) {
            if let Some(info) = cccd {
                return mk(PersonalDataKind::Cccd, 0.95, cccd_reason(info));
            }
        }
        if before.has(Label::Tax) && tax_ok {
            return mk(
                PersonalDataKind::TaxCode,
                0.93,
                "tax code (MST, valid check digit)".into(),
            );
        }

        // No deciding label before: structure alone, or a label written after the number.
        if let Some(info) = cccd {
            // Valid province and a past birth year; still unlabelled, so a lower score.
            return mk(PersonalDataKind::Cccd, 0.85, cccd_reason(info));
        }
        if shape.tax_branch_shape() && tax_ok {
            return mk(
                PersonalDataKind::TaxCode,
                0.85,
                "tax code with branch suffix (valid check digit)".into(),
            );
        }
        if before.nearest.is_some() {
            return None;
        }
        let after = self.labels_in(after_text, false);
        if after.gap > 12 {
            return None;
        }
        match after.nearest {
            Some(Label::Bank) if (6..=19).contains(&n) => mk(
                PersonalDataKind::BankAccount,
                0.85,
                "bank account number (bank named after it)".into(),
            ),
            Some(Label::Cmnd | Label::Cccd) if n == 9 || n == 12 => mk(
                PersonalDataKind::Cmnd,
                0.85,
                format!("CMND number ({n} digits, labelled after)"),
            ),
            Some(Label::Tax) if tax_ok => mk(
                PersonalDataKind::TaxCode,
                0.9,
                "tax code (MST, valid check digit)".into(),
            ),
            _ => None,
        }
    }

    fn find_plates(&self, text: &str, cands: &mut Vec<Candidate>) {
        let mut pos = 0;
        while let Some(c) = self.plate.captures_at(text, pos) {
            let m = c.get(0).expect("group 0");
            pos = m.start() + 1;
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), m.as_str().contains(' ')) {
                continue;
            }
            let loc: u32 = c["loc"].parse().unwrap_or(0);
            let ser = &c["ser"];
            let num = &c["num"];
            if !(11..=99).contains(&loc) {
                continue;
            }
            // Series letters never issued (they look like digits or are reserved).
            if ser
                .chars()
                .any(|ch| matches!(ch, 'I' | 'J' | 'O' | 'Q' | 'W'))
            {
                continue;
            }
            let seps = format!(
                "{}{}",
                c.name("s1").map_or("", |s| s.as_str()),
                c.name("s2").map_or("", |s| s.as_str())
            );
            let before = self.before(text, m.start());
            if before.nearest_is(Label::NotPersonal) {
                continue;
            }
            let labelled = before.has(Label::Plate);
            // "-" between parts or "123.45" is how plates are written; other shapes ("55UK6300"
            // a TV model, "12A1 2023" a school class) need a label.
            let strong = (seps.contains('-') || num.contains('.')) && num.len() != 4;
            let canonical_car =
                seps.is_empty() && ser.len() == 1 && num.len() == 5 && !num.contains('.');
            let score = if labelled {
                0.95
            } else if strong {
                0.9
            } else if canonical_car {
                0.72
            } else {
                continue;
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Plate,
                score,
                reason: format!("licence plate (locality {loc})"),
            });
            pos = m.end();
        }
    }

    fn find_passports(&self, text: &str, cands: &mut Vec<Candidate>) {
        // One uppercase letter and 7 digits: a byte scan, cheaper than a regex pass.
        let b = text.as_bytes();
        for start in 0..b.len().saturating_sub(7) {
            let end = start + 8;
            if !b[start].is_ascii_uppercase() || !b[start + 1..end].iter().all(u8::is_ascii_digit) {
                continue;
            }
            if !left_ok(text, start) || !right_ok(text, end, false) {
                continue;
            }
            let before = self.before(text, start);
            let score = match before.nearest {
                Some(Label::NotPersonal) => continue,
                Some(Label::Passport) => 0.96,
                _ if before.has(Label::Passport) => 0.9,
                None => 0.75,
                Some(_) => 0.65,
            };
            cands.push(Candidate {
                start,
                end,
                kind: PersonalDataKind::Passport,
                score,
                reason: "passport number".into(),
            });
        }
    }

    fn find_dobs(&self, text: &str, cands: &mut Vec<Candidate>) {
        for c in self.date.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if !left_ok(text, m.start()) || !right_ok(text, m.end(), false) {
                continue;
            }
            let pick = |a: &str, b: &str, d: &str| {
                c.name(a)
                    .or_else(|| c.name(b))
                    .or_else(|| c.name(d))
                    .and_then(|x| x.as_str().parse::<u32>().ok())
            };
            let (Some(day), Some(month), Some(year)) = (
                pick("d", "d2", "d3"),
                pick("m", "m2", "m3"),
                pick("y", "y2", "y3"),
            ) else {
                continue;
            };
            if !valid_date(day, month, year) {
                continue;
            }
            // A date is only a date of birth when the text says so.
            let before = self.before(text, m.start());
            let score = match before.nearest {
                Some(Label::Dob) if before.gap <= 30 => 0.95,
                Some(Label::DobWeak) if before.gap <= 3 => 0.85,
                None => {
                    let after = self.after(text, m.end());
                    if after.nearest_is(Label::Dob) && after.gap <= 8 {
                        0.85
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            cands.push(Candidate {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataKind::Dob,
                score,
                reason: "date of birth".into(),
            });
        }
    }

    fn find_addresses(&self, text: &str, cands: &mut Vec<Candidate>) {
        let g = &self.address;
        let mut pos = 0;
        while let Some(m) = g.anchor.find_at(text, pos) {
            pos = m.end();
            let start = m.start();
            if prev_char(text, start).is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.') {
                continue;
            }
            let first = text.as_bytes()[start];
            let bare_number = first.is_ascii_digit();
            // "số 12 …" is a house only where a place is expected: not in "Trường Tiểu học số 2
            // Nghĩa Tân" or "xe buýt số 32". "nhà số", "ngõ", "thôn" … say so themselves.
            let rest = &text[start..];
            let needs_place = bare_number
                || (["số", "Số", "SỐ"].iter().any(|k| rest.starts_with(k))
                    && !rest
                        .get(..10)
                        .is_some_and(|h| h.to_lowercase().starts_with("số nhà")));
            // Parse first: it is cheap and fails on almost every number. Context labels are
            // looked up only when the decision needs them.
            let Some(p) = self.parse_address(text, start, bare_number) else {
                continue;
            };
            let mut strong_cache = None;
            let mut strong = || {
                *strong_cache.get_or_insert_with(|| self.before(text, start).has(Label::Address))
            };
            let weak = place_word_before(text, start);
            // "Văn phòng: Tầng 5, tòa nhà X, 285 Cách Mạng Tháng Tám, …": an address label
            // earlier in the clause introduces the house number too.
            if needs_place && !weak && !clause_start_before(text, start) && !strong() {
                continue;
            }
            let valid = if p.house {
                p.admin >= 1 || p.names >= 2 || (weak && (p.names >= 1 || p.street)) || strong()
            } else if p.hamlet {
                p.admin >= 2 || (p.admin >= 1 && (weak || strong()))
            } else {
                false
            };
            if !valid {
                continue;
            }
            let score = if strong() {
                0.93
            } else if p.admin >= 1 {
                0.88
            } else {
                0.8
            };
            cands.push(Candidate {
                start,
                end: p.end,
                kind: PersonalDataKind::Address,
                score,
                reason: if p.house {
                    "street address (house number and locality)".into()
                } else {
                    "home address (hamlet and administrative units)".into()
                },
            });
            pos = p.end;
        }
    }

    /// Parses an address starting at `start`: a house number or unit, then components joined by
    /// spaces, commas or dashes. `bare`: it starts with a bare number, which must be followed
    /// directly by a street ("123 Nguyễn Trãi", "45 đường Láng").
    fn parse_address(&self, text: &str, start: usize, bare: bool) -> Option<AddressParse> {
        let g = &self.address;
        let mut p = AddressParse::default();
        let mut pos;
        // After a house or lane number, a capitalised name with no keyword is the street.
        let mut street_may_follow;
        if let Some(m) = g.house.find(&text[start..]) {
            let e = start + m.end();
            if next_char(text, e).is_some_and(|c| c.is_alphanumeric()) {
                return None;
            }
            p.house = true;
            pos = e;
            street_may_follow = true;
        } else {
            let (e, unit) = self.unit_at(text, start)?;
            match unit {
                Unit::Lane => p.house = true,
                Unit::Hamlet => p.hamlet = true,
                _ => return None,
            }
            pos = e;
            street_may_follow = unit == Unit::Lane;
        }
        p.end = pos;
        let mut need_street = bare;
        for _ in 0..12 {
            let Some(sm) = g.sep.find(&text[pos..]) else {
                break;
            };
            let comma = sm.as_str().contains([',', ';', '-', '–']);
            let q = pos + sm.end();
            if let Some((e, unit)) = self.unit_at(text, q) {
                if need_street && (comma || !matches!(unit, Unit::Lane | Unit::Street)) {
                    return None;
                }
                need_street = false;
                match unit {
                    Unit::Lane => {
                        p.house = true;
                        street_may_follow = true;
                    }
                    Unit::Street => {
                        p.street = true;
                        street_may_follow = false;
                    }
                    Unit::Hamlet => {
                        p.hamlet = true;
                        street_may_follow = false;
                    }
                    Unit::Admin => {
                        p.admin += 1;
                        street_may_follow = false;
                    }
                }
                pos = e;
                p.end = e;
                continue;
            }
            let Some((e, words, name)) = self.name_at(text, q) else {
                break;
            };
            if !comma && street_may_follow {
                // "123 Nguyễn Trãi": a bare number needs a real street name, two words or more.
                if need_street && words < 2 {
                    return None;
                }
                need_street = false;
                p.street = true;
                street_may_follow = false;
            } else if comma && !need_street {
                if PROVINCES.contains(&name.to_lowercase().as_str()) {
                    p.admin += 1;
                } else {
                    p.names += 1;
                }
            } else {
                break;
            }
            pos = e;
            p.end = e;
        }
        if need_street {
            return None;
        }
        Some(p)
    }

    /// A unit keyword and its value at `at` ("phường 2", "quận Hai Bà Trưng", "P.13", "TP.HCM").
    fn unit_at(&self, text: &str, at: usize) -> Option<(usize, Unit)> {
        let g = &self.address;
        let rest = &text[at..];
        if let Some(c) = g.abbr.captures(rest) {
            let m = c.get(0).expect("group 0");
            if c.name("v").is_some() {
                if !next_char(rest, m.end()).is_some_and(char::is_alphanumeric) {
                    return Some((at + m.end(), Unit::Admin));
                }
            } else if let Some((e, _, _)) = self.name_at(text, at + m.end()) {
                return Some((e, Unit::Admin));
            }
        }
        let c = g.unit.captures(rest)?;
        let kw = c.name("kw")?.as_str();
        let unit = unit_of(kw)?;
        let v = at + c.get(0)?.end();
        if let Some(m) = g.value_num.find(&text[v..]) {
            let e = v + m.end();
            if !next_char(text, e).is_some_and(char::is_alphanumeric) {
                return Some((e, unit));
            }
        }
        let (e, _, _) = self.name_at(text, v)?;
        Some((e, unit))
    }

    /// A capitalised name at `at` (up to 6 words), cut before any unit keyword: returns its
    /// end, word count and text.
    fn name_at<'t>(&self, text: &'t str, at: usize) -> Option<(usize, usize, &'t str)> {
        let m = self.address.name.find(&text[at..])?;
        let mut end = at;
        let mut words = 0;
        let mut off = at;
        for w in m.as_str().split(' ') {
            // The first word is part of the name even when it is a keyword ("phường Phố Huế");
            // a later one starts the next component only if it reads as one ("Nguyễn Trãi
            // Phường 2", but not "Lý Thường Kiệt", "Tô Hiến Thành").
            if words > 0 && self.unit_at(text, off).is_some() {
                break;
            }
            end = off + w.len();
            off = end + 1;
            words += 1;
        }
        if words == 0 || next_char(text, end).is_some_and(char::is_alphanumeric) {
            return None;
        }
        Some((end, words, &text[at..end]))
    }
}

/// Whether `start` begins a clause: start of text, or after a colon, bracket, dash, line or
/// sentence break. A house number ("123 Nguyễn Trãi", "số 5 Lê Lợi") is tried there, or after a
/// place word ([`place_word_before`]); this keeps "năm 2020, quận 1 …" out.
fn clause_start_before(text: &str, start: usize) -> bool {
    let head = text[..start].trim_end();
    head.chars().next_back().is_none_or(|last| {
        matches!(
            last,
            ':' | '(' | '\n' | '-' | '–' | '.' | '!' | '?' | '|' | '>'
        )
    })
}

/// Whether the word right before `start` introduces a place ("ở", "tại", "về", "đến", "gần", …).
fn place_word_before(text: &str, start: usize) -> bool {
    let head = text[..start].trim_end();
    let word = head
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        word.as_str(),
        "ở" | "tại"
            | "về"
            | "đến"
            | "tới"
            | "chỉ"
            | "nhà"
            | "đ/c"
            | "đc"
            | "qua"
            | "vào"
            | "sang"
            | "gần"
            | "cạnh"
            | "diện"
    )
}

// `is_multiple_of` needs Rust 1.87; the workspace promises 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn valid_date(day: u32, month: u32, year: u32) -> bool {
    if !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    // Two-digit years ("12/3/90") are allowed; four-digit ones must be a past birth year.
    if year >= 100 && !(1900..=REFERENCE_YEAR).contains(&year) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let max = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= max
}

// ---------------------------------------------------------------------------------------------
// Evaluation: span matching shared by the integration test and `quytac eval --task personal-data`.
// ---------------------------------------------------------------------------------------------

/// A prediction matches a gold span when the kinds agree and their intersection-over-union (in
/// chars) is at least this.
pub const MIN_IOU: f64 = 0.5;

/// Intersection over union of two half-open char ranges.
pub fn span_iou(a: (usize, usize), b: (usize, usize)) -> f64 {
    let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let union = a.1.max(b.1) - a.0.min(b.0);
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Counts for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl KindCounts {
    /// Gold spans of this kind.
    pub fn support(&self) -> usize {
        self.true_positives + self.false_negatives
    }
    /// 1.0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        let p = self.true_positives + self.false_positives;
        if p == 0 {
            1.0
        } else {
            self.true_positives as f64 / p as f64
        }
    }
    /// 1.0 when there is nothing to find.
    pub fn recall(&self) -> f64 {
        let s = self.support();
        if s == 0 {
            1.0
        } else {
            self.true_positives as f64 / s as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Per-kind span-level scores, accumulated over any number of texts.
///
/// Matching rule, per text and per kind: every (gold, prediction) pair of that kind with
/// IoU ≥ [`MIN_IOU`] is a possible match; pairs are taken best IoU first, each gold span and
/// each prediction matching at most once. Matched predictions are true positives, unmatched
/// predictions false positives, unmatched gold spans false negatives. A prediction of the
/// wrong kind on a gold span therefore counts twice: a false positive for its kind and a false
/// negative for the gold kind. Detections of other categories, or without a kind, are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataScores {
    pub per_kind: BTreeMap<PersonalDataKind, KindCounts>,
}

impl Default for PersonalDataScores {
    fn default() -> Self {
        Self::new()
    }
}

impl PersonalDataScores {
    pub fn new() -> Self {
        PersonalDataScores {
            per_kind: PersonalDataKind::ALL
                .into_iter()
                .map(|k| (k, KindCounts::default()))
                .collect(),
        }
    }

    /// Adds one text: its gold spans `(start, end, kind)` and the detector's output.
    pub fn add(&mut self, gold: &[(usize, usize, PersonalDataKind)], pred: &[Detection]) {
        for kind in PersonalDataKind::ALL {
            let g: Vec<(usize, usize)> = gold
                .iter()
                .filter(|x| x.2 == kind)
                .map(|x| (x.0, x.1))
                .collect();
            let p: Vec<(usize, usize)> = pred
                .iter()
                .filter(|d| d.category == Category::PersonalData && d.kind == Some(kind))
                .map(|d| (d.start, d.end))
                .collect();
            if g.is_empty() && p.is_empty() {
                continue;
            }
            let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
            for (gi, gs) in g.iter().enumerate() {
                for (pi, ps) in p.iter().enumerate() {
                    let iou = span_iou(*gs, *ps);
                    if iou >= MIN_IOU {
                        pairs.push((iou, gi, pi));
                    }
                }
            }
            pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
            let (mut g_used, mut p_used) = (vec![false; g.len()], vec![false; p.len()]);
            let mut tp = 0;
            for (_, gi, pi) in pairs {
                if !g_used[gi] && !p_used[pi] {
                    g_used[gi] = true;
                    p_used[pi] = true;
                    tp += 1;
                }
            }
            let c = self.per_kind.entry(kind).or_default();
            c.true_positives += tp;
            c.false_positives += p.len() - tp;
            c.false_negatives += g.len() - tp;
        }
    }

    pub fn get(&self, kind: PersonalDataKind) -> KindCounts {
        self.per_kind.get(&kind).copied().unwrap_or_default()
    }

    /// All kinds pooled (micro average).
    pub fn total(&self) -> KindCounts {
        self.per_kind
            .values()
            .fold(KindCounts::default(), |a, c| KindCounts {
                true_positives: a.true_positives + c.true_positives,
                false_positives: a.false_positives + c.false_positives,
                false_negatives: a.false_negatives + c.false_negatives,
            })
    }

    /// A plain-text table: kind, precision, recall, F1, support, TP, FP, FN.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<13} {:>9} {:>7} {:>6} {:>8} {:>5} {:>4} {:>4}",
            "kind", "precision", "recall", "f1", "support", "tp", "fp", "fn"
        );
        let mut row = |name: &str, c: KindCounts| {
            let _ = writeln!(
                s,
                "{:<13} {:>9.3} {:>7.3} {:>6.3} {:>8} {:>5} {:>4} {:>4}",
                name,
                c.precision(),
                c.recall(),
                c.f1(),
                c.support(),
                c.true_positives,
                c.false_positives,
                c.false_negatives
            );
        };
        for (k, c) in &self.per_kind {
            row(k.as_str(), *c);
        }
        row("all (micro)", self.total());
        s
    }
}

/// Scores one text's predictions against its gold spans (see [`PersonalDataScores`] for the
/// matching rule).
pub fn score_spans(
    gold: &[(usize, usize, PersonalDataKind)],
    pred: &[Detection],
) -> PersonalDataScores {
    let mut s = PersonalDataScores::new();
    s.add(gold, pred);
    s
}

#[cfg(test)]
mod tests {
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
        assert!(out[0].reason.contains("province 001"));
        assert!(out[0].reason.contains("male born 1990"));
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
}
