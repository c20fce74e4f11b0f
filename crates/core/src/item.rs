//! The items that quytac checks: posts and profiles, as read from JSON (CONTRACT.md, section 1).
//! Parsing validates at the edge, so an [`Item`] past this point is well-formed.

use serde::{Deserialize, Deserializer, Serialize};

/// Who a subject of the code of conduct is (RULES.md, "Subjects").
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = AuthorRole))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Citizen,
    Organization,
    CivilServant,
    Agency,
    Provider,
}

impl std::str::FromStr for Role {
    type Err = String;
    /// The stored word of a subject role (`civil_servant`, …).
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown subject role `{s}`"))
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Citizen,
        Role::Organization,
        Role::CivilServant,
        Role::Agency,
        Role::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Organization => "organization",
            Role::CivilServant => "civil_servant",
            Role::Agency => "agency",
            Role::Provider => "provider",
        }
    }
}

/// The author of a post, as far as the post tells.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    #[serde(default, deserialize_with = "opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub role: Role,
    #[serde(default)]
    pub agency: Option<String>,
    /// The author's profile carries a pinned personal-capacity disclaimer (CS-4).
    #[serde(default)]
    pub disclaimer: bool,
}

#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementKind {
    Like,
    Share,
    Comment,
}

/// A post that reacts to an earlier item (CS-8).
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    pub kind: EngagementKind,
    #[serde(deserialize_with = "id")]
    pub target_id: String,
}

#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    #[serde(deserialize_with = "id")]
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub author: Author,
    #[serde(default)]
    pub engages: Option<Engagement>,
    #[serde(default)]
    pub links: Vec<String>,
}

#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(deserialize_with = "id")]
    pub id: String,
    #[serde(default)]
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub legal_name: Option<String>,
    /// Path of the profile photo, relative to the input file's folder (checked by CS-2).
    #[serde(default)]
    pub photo: Option<String>,
    #[serde(default)]
    pub workplace: Option<String>,
    /// Id of the agency that vouches for the account (CS-3).
    #[serde(default)]
    pub vouched_by: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
}

/// One line of `quytac check` input. Deserialising accepts an item without `type` as a post.
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Post(Post),
    Profile(Profile),
}

impl Item {
    pub fn id(&self) -> &str {
        match self {
            Item::Post(p) => &p.id,
            Item::Profile(p) => &p.id,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Item::Post(_) => "post",
            Item::Profile(_) => "profile",
        }
    }

    /// Parses one JSON item. An item without `type` is a post, the common case.
    ///
    /// Items are read in one pass into a flat record of every field, then checked for the
    /// fields their type needs: faster than serde's buffering of tagged enums, and the errors
    /// name the missing field plainly.
    pub fn from_json(line: &str) -> Result<Item, String> {
        serde_json::from_str(line).map_err(|e| {
            if e.is_data() {
                format!("invalid item: {e}")
            } else {
                format!("invalid JSON: {e}")
            }
        })
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawItem::deserialize(d)?
            .into_item()
            .map_err(serde::de::Error::custom)
    }
}

impl RawItem {
    fn into_item(self) -> Result<Item, String> {
        let raw = self;
        raw.refuse_nul()?;
        match raw.item_type.as_deref() {
            None | Some("post") => Ok(Item::Post(Post {
                id: raw.id.ok_or("missing field `id`")?,
                text: raw.text.ok_or("missing field `text`")?,
                author: raw.author.unwrap_or_default(),
                engages: raw.engages,
                links: raw.links.unwrap_or_default(),
            })),
            Some("profile") => Ok(Item::Profile(Profile {
                id: raw.id.ok_or("missing field `id`")?,
                role: raw.role.unwrap_or_default(),
                display_name: raw.display_name,
                legal_name: raw.legal_name,
                photo: raw.photo,
                workplace: raw.workplace,
                vouched_by: raw.vouched_by,
                bio: raw.bio,
            })),
            Some(other) => Err(format!(
                "unknown item type \"{other}\": expected \"post\" or \"profile\""
            )),
        }
    }
}

impl RawItem {
    /// U+0000 is no part of any text, and PostgreSQL cannot store it: an item that holds it
    /// is refused here, whatever the store, with the field named.
    fn refuse_nul(&self) -> Result<(), String> {
        let author = self.author.as_ref();
        let fields = [
            ("id", self.id.as_deref()),
            ("text", self.text.as_deref()),
            ("author.id", author.and_then(|a| a.id.as_deref())),
            ("author.agency", author.and_then(|a| a.agency.as_deref())),
            (
                "engages.target_id",
                self.engages.as_ref().map(|e| e.target_id.as_str()),
            ),
            ("display_name", self.display_name.as_deref()),
            ("legal_name", self.legal_name.as_deref()),
            ("photo", self.photo.as_deref()),
            ("workplace", self.workplace.as_deref()),
            ("vouched_by", self.vouched_by.as_deref()),
            ("bio", self.bio.as_deref()),
        ];
        let links = self
            .links
            .iter()
            .flatten()
            .map(|l| ("links", Some(l.as_str())));
        match fields
            .into_iter()
            .chain(links)
            .find(|(_, v)| v.is_some_and(|v| v.contains('\0')))
        {
            Some((name, _)) => Err(format!(
                "`{name}` holds the character U+0000, which no text may hold"
            )),
            None => Ok(()),
        }
    }
}

/// Every field of either item type, as read from JSON.
#[derive(Deserialize)]
struct RawItem {
    #[serde(rename = "type", default)]
    item_type: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty_id")]
    id: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    engages: Option<Engagement>,
    #[serde(default)]
    links: Option<Vec<String>>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    legal_name: Option<String>,
    #[serde(default)]
    photo: Option<String>,
    #[serde(default)]
    workplace: Option<String>,
    #[serde(default)]
    vouched_by: Option<String>,
    #[serde(default)]
    bio: Option<String>,
}

fn opt_nonempty_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    id(d).map(Some)
}

/// Ids may be written as strings or numbers; both become strings.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "an id must be a non-empty string or a number, not {other}"
        ))),
    }
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "an id must be a string or a number, not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_holding_u0000_is_refused_with_the_field_named() {
        for (json, field) in [
            (r#"{"id":"p1","text":"b\u0000ắc kỳ"}"#, "`text`"),
            (r#"{"id":"p\u0000","text":"x"}"#, "`id`"),
            (
                r#"{"id":"p1","text":"x","author":{"id":"u\u0000"}}"#,
                "`author.id`",
            ),
            (
                r#"{"id":"p1","text":"x","links":["a","b\u0000"]}"#,
                "`links`",
            ),
            (r#"{"id":"u1","type":"profile","bio":"\u0000"}"#, "`bio`"),
        ] {
            let e = Item::from_json(json).unwrap_err();
            assert!(e.contains(field) && e.contains("U+0000"), "{json}: {e}");
        }
        // An escaped backslash followed by `u0000` is six ordinary characters.
        assert!(Item::from_json(r#"{"id":"p1","text":"\\u0000"}"#).is_ok());
    }

    #[test]
    fn parses_contract_examples() {
        let p = Item::from_json(r#"{"id":"p1","type":"post","text":"xin chào","author":{"id":"u1","role":"civil_servant","agency":"so-tt-hn","disclaimer":false},"engages":{"kind":"share","target_id":"p0"},"links":["https://x.vn"],"extra":1}"#).unwrap();
        let Item::Post(p) = p else {
            panic!("not a post")
        };
        assert_eq!(p.author.role, Role::CivilServant);
        assert_eq!(p.engages.unwrap().kind, EngagementKind::Share);
        let u = Item::from_json(r#"{"id":"u1","type":"profile","role":"civil_servant","display_name":"Nguyen Van An","legal_name":"Nguyễn Văn An"}"#).unwrap();
        assert_eq!(u.type_name(), "profile");
        assert_eq!(Item::from_json(r#"{"id":7,"text":"a"}"#).unwrap().id(), "7");
    }

    #[test]
    fn rejects_bad_items_with_a_reason() {
        assert!(Item::from_json("{").unwrap_err().contains("invalid JSON"));
        assert!(Item::from_json("[1]").unwrap_err().contains("invalid item"));
        assert!(Item::from_json(r#"{"id":"p"}"#)
            .unwrap_err()
            .contains("text"));
        assert!(Item::from_json(r#"{"id":"p","type":"video","text":""}"#)
            .unwrap_err()
            .contains("unknown item type"));
        assert!(Item::from_json(r#"{"id":"p","text":"a","author":{"role":"king"}}"#).is_err());
        assert!(Item::from_json(r#"{"id":"","text":"a"}"#).is_err());
        assert!(Item::from_json(r#"{"text":"a"}"#)
            .unwrap_err()
            .contains("`id`"));
        assert!(Item::from_json(r#"{"id":"p","text":5}"#)
            .unwrap_err()
            .contains("invalid item"));
    }
}
