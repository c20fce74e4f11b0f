//! Asking an agency on the public web pages, where nobody signs in, and following the inquiry
//! by a private link (issue 14).
//!
//! The inquiry is recorded as asked by [`WEB_CITIZEN`] (`quytac_core::workflow::inquiry`),
//! which no token's actor is, with a follow link in the same write transaction: a 256-bit
//! random secret, of which only the SHA-256 is stored (`inquiry_follow_links`, bound to the
//! audit event). The link is the only way to the inquiry for the asker: a secret is 64
//! lowercase hex digits or refused before any lookup, the stored hash is compared in constant
//! time, and every failure is the same "not found". What the link shows is masked, like every
//! public view.

use super::{InquiryEnvelope, InquiryView, MAX_TEXT};
use crate::{Actor, Result, Service, ServiceError};
use quytac_core::workflow::inquiry::{may_unmask, InquiryKind, WEB_CITIZEN};
use quytac_core::workflow::text::{validate, TextBounds};
use quytac_store::inquiries::follow::NewFollowLink;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

/// The longest name and contact a citizen may leave, in characters.
pub const MAX_NAME: usize = 100;
pub const MAX_CONTACT: usize = 200;

/// A question asked on the web: the text, and a name and a contact the citizen may leave.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskOnWeb {
    pub text: String,
    #[serde(default)]
    pub kind: InquiryKind,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub contact: String,
}

/// The inquiry asked, masked, and the secret of its follow link (shown once, never stored).
#[derive(Debug, Clone, Serialize)]
pub struct AskedOnWeb {
    pub inquiry: InquiryView,
    /// 64 lowercase hex digits: the path segment of `/inquiries/follow/{secret}`.
    pub secret: String,
}

/// What the citizen left with a question asked on the web: for the assigned officer and
/// admins only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AskerContact {
    pub name: String,
    pub contact: String,
}

/// The stored form of a secret: `sha256:` and the hex SHA-256 of its 32 bytes.
fn hash_secret(secret: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(secret)))
}

/// A follow secret as written in a link: exactly 64 lowercase hex digits.
pub fn parse_secret(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

fn no_such_link() -> ServiceError {
    ServiceError::not_found("no inquiry follows from this link")
}

impl Service {
    /// A citizen asks an agency on the web: checked like [`Service::ask_agency`] (a violation
    /// other than personal data refuses it), stored with a new follow link in one transaction.
    pub async fn ask_agency_on_web(&self, agency_id: &str, cmd: AskOnWeb) -> Result<AskedOnWeb> {
        let now = quytac_store::now_ms();
        let text = validate("text", &cmd.text, TextBounds::prose(MAX_TEXT, true))?;
        let name = validate("name", &cmd.name, TextBounds::line(MAX_NAME, false))?;
        let contact = validate(
            "contact",
            &cmd.contact,
            TextBounds::line(MAX_CONTACT, false),
        )?;
        let new = self
            .prepare_inquiry(WEB_CITIZEN, agency_id, cmd.kind, &text, now)
            .await?;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let mut tx = self.store.write().await?;
        let q = tx.create_inquiry(&new).await?;
        tx.add_follow_link(&NewFollowLink {
            inquiry_id: q.id,
            secret_hash: hash_secret(&secret),
            asker_name: name,
            asker_contact: contact,
            created_at: now,
        })
        .await?;
        let events = tx.commit().await?;
        self.after_commit(&events).await;
        Ok(AskedOnWeb {
            inquiry: InquiryView::listed(&q, quytac_store::now_ms()),
            secret: hex::encode(secret),
        })
    }

    /// The inquiry a follow link leads to, masked, with its answers. A malformed, unknown or
    /// mismatching secret is the same `not_found`.
    pub async fn followed_inquiry(&self, secret: &str) -> Result<InquiryEnvelope> {
        let bytes = parse_secret(secret).ok_or_else(no_such_link)?;
        let given = hash_secret(&bytes);
        let link = self
            .store
            .follow_link_by_hash(&given)
            .await?
            .ok_or_else(no_such_link)?;
        if !bool::from(given.as_bytes().ct_eq(link.secret_hash.as_bytes())) {
            return Err(no_such_link());
        }
        self.masked(link.inquiry_id).await
    }

    /// The name and contact left with an inquiry asked on the web, for those who may read it
    /// as written (the assigned officer, admins); `None` when it was not asked on the web.
    pub async fn asker_contact(
        &self,
        actor: &Actor,
        inquiry_id: i64,
    ) -> Result<Option<AskerContact>> {
        let q =
            self.store.inquiry(inquiry_id).await?.ok_or_else(|| {
                ServiceError::not_found(format!("inquiry {inquiry_id} not found"))
            })?;
        may_unmask(actor, &super::facts(&q))?;
        Ok(self
            .store
            .follow_link_of(inquiry_id)
            .await?
            .map(|l| AskerContact {
                name: l.asker_name,
                contact: l.asker_contact,
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_64_lowercase_hex_digits() {
        let ok = "0123456789abcdef".repeat(4);
        assert!(parse_secret(&ok).is_some());
        assert!(parse_secret(&ok.to_uppercase()).is_none());
        assert!(parse_secret(&ok[..63]).is_none());
        assert!(parse_secret(&format!("{ok}0")).is_none());
        assert!(parse_secret(&format!("{}g", &ok[..63])).is_none());
        assert!(parse_secret("").is_none());
        assert!(parse_secret(&"é".repeat(32)).is_none());
        let s = parse_secret(&ok).unwrap();
        assert!(hash_secret(&s).starts_with("sha256:"));
        assert_eq!(hash_secret(&s).len(), 7 + 64);
    }
}
