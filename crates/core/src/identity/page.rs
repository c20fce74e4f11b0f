//! Agency pages (AG-1, AG-2, AG-3): the findings of a page from what the service knows of it:
//! whether it holds a valid badge, and whom it names as answering for it and administering it.

use crate::finding::{Category, Finding};
use crate::item::Role;
use crate::rules::{Rule, RulePack};

/// A person a page names: the head or spokesperson, or the page administrator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Person<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl Person<'_> {
    fn named(&self) -> bool {
        !self.name.trim().is_empty()
    }
    fn has_contact(&self) -> bool {
        self.phone.is_some_and(|p| !p.trim().is_empty())
            || self.email.is_some_and(|e| e.contains('@'))
    }
}

/// What the service knows of an agency's page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page<'a> {
    /// The head of the agency or its authorised spokesperson (AG-2).
    pub head: Option<Person<'a>>,
    /// Who administers the page and posts on it (AG-3).
    pub page_admin: Option<Person<'a>>,
    /// `None` when the page holds a valid badge; otherwise why not (AG-1).
    pub unverified: Option<&'a str>,
}

/// A finding about a record rather than a span of text (a page's missing person, an account's
/// photo): no offsets, score 1, the rule's messages with `reason` in the English one.
pub fn record_finding(rule: &Rule, category: Category, evidence: &str, reason: &str) -> Finding {
    Finding {
        rule: rule.id.clone(),
        category,
        severity: rule.severity_for(category),
        start: None,
        end: None,
        evidence: evidence.to_string(),
        kind: None,
        score: 1.0,
        message_vi: format!("{} ({})", rule.message_vi, category.name_vi()),
        message_en: format!("{} ({reason})", rule.message_en),
    }
}

/// The findings of a page under `pack`: `unverified_page` (AG-1) without a valid badge,
/// `responsible_person` (AG-2) when no head or spokesperson is named with a position, and
/// `responsible_person` (AG-3, or AG-2 where the pack has no AG-3) when the head has no
/// contact or no administrator is named with a contact.
pub fn page_findings(pack: &RulePack, page: &Page) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(why), Some(rule)) = (
        page.unverified,
        pack.rule_for(Role::Agency, Category::UnverifiedPage),
    ) {
        out.push(record_finding(rule, Category::UnverifiedPage, "", why));
    }
    let Some(ag2) = pack.rule_for(Role::Agency, Category::ResponsiblePerson) else {
        return out;
    };
    let ag3 = pack
        .rule("AG-3")
        .filter(|r| r.subjects.contains(&Role::Agency))
        .unwrap_or(ag2);
    let rp = Category::ResponsiblePerson;
    match page.head {
        Some(h) if h.named() && !h.position.trim().is_empty() => {
            if !h.has_contact() {
                out.push(record_finding(
                    ag3,
                    rp,
                    h.name,
                    "no contact (phone or e-mail) for the person responsible",
                ));
            }
        }
        Some(h) if h.named() => out.push(record_finding(
            ag2,
            rp,
            h.name,
            "the person responsible has no position or title",
        )),
        _ => out.push(record_finding(
            ag2,
            rp,
            "",
            "no head of the agency or authorised spokesperson is named",
        )),
    }
    match page.page_admin {
        Some(a) if a.named() && a.has_contact() => {}
        Some(a) if a.named() => out.push(record_finding(
            ag3,
            rp,
            a.name,
            "no contact (phone or e-mail) for the page administrator",
        )),
        _ => out.push(record_finding(
            ag3,
            rp,
            "",
            "no page administrator is named",
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::DEFAULT_PACK;

    #[test]
    fn a_complete_verified_page_has_no_findings_and_gaps_are_named() {
        let pack = RulePack::builtin(DEFAULT_PACK).unwrap();
        let head = Person {
            name: "Nguyễn Văn A",
            position: "Giám đốc",
            phone: Some("024 1234 5678"),
            email: None,
        };
        let admin = Person {
            name: "Trần Thị B",
            position: "Chuyên viên",
            phone: None,
            email: Some("b@hanoi.gov.vn"),
        };
        let full = Page {
            head: Some(head),
            page_admin: Some(admin),
            unverified: None,
        };
        assert!(page_findings(&pack, &full).is_empty());
        let bare = Page {
            unverified: Some("no badge"),
            ..Page::default()
        };
        let f = page_findings(&pack, &bare);
        let rules: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.rule.as_str(), f.category.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                ("AG-1", "unverified_page"),
                ("AG-2", "responsible_person"),
                ("AG-3", "responsible_person")
            ]
        );
        let no_contact = Page {
            page_admin: Some(Person {
                phone: None,
                email: Some("not an address"),
                ..admin
            }),
            ..full
        };
        let f = page_findings(&pack, &no_contact);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "AG-3");
        assert_eq!(f[0].evidence, "Trần Thị B");
    }
}
