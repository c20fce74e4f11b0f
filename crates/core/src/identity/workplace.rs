//! Workplaces (CS-3): does a profile's workplace field name a state agency?

use crate::identity::name::fold_name;

/// Words that open the name of a Vietnamese state body or public institution (folded: no
/// diacritics, lowercase).
const AGENCY_WORDS: &[&str] = &[
    "bo",
    "so",
    "cuc",
    "chi cuc",
    "tong cuc",
    "vu",
    "vien",
    "ban",
    "uy ban",
    "ubnd",
    "hdnd",
    "hoi dong nhan dan",
    "uy ban nhan dan",
    "van phong",
    "phong",
    "trung tam",
    "truong",
    "benh vien",
    "cong an",
    "toa an",
    "vien kiem sat",
    "kho bac",
    "thue",
    "hai quan",
    "kiem toan",
    "thanh tra",
    "quan doi",
    "bo chi huy",
    "dai hoc",
    "hoc vien",
    "dai phat thanh",
    "dai truyen hinh",
    "bao",
    "thong tan xa",
    "ngan hang nha nuoc",
    "tram y te",
    "doan",
    "hoi",
    "quoc hoi",
    "chinh phu",
    "tinh uy",
    "thanh uy",
    "huyen uy",
    "quan uy",
    "dang uy",
    "mat tran",
    "lien doan",
];

/// True when the workplace names a state agency or public institution.
pub fn names_agency(workplace: &str) -> bool {
    let f = fold_name(workplace);
    let words: Vec<&str> = f.split(' ').collect();
    AGENCY_WORDS.iter().any(|a| {
        let aw: Vec<&str> = a.split(' ').collect();
        words.windows(aw.len()).any(|w| w == aw.as_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_agencies() {
        assert!(names_agency("Sở Thông tin và Truyền thông Hà Nội"));
        assert!(names_agency("UBND phường Bến Nghé"));
        assert!(names_agency("Bệnh viện Bạch Mai"));
        assert!(!names_agency("Tự do"));
        assert!(!names_agency("Công ty TNHH ABC"));
        assert!(!names_agency(""));
    }
}
