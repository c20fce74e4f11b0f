//! The private links by which a citizen who asked on the web follows their inquiry (issue 14,
//! migration `0011_inquiry_follow_links.sql`). The store keeps only the SHA-256 of the link's
//! secret; the service makes the secret, hashes it and compares in constant time.

use crate::audit::{NewEvent, Table};
use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A follow link to record with its inquiry.
#[derive(Debug, Clone)]
pub struct NewFollowLink {
    pub inquiry_id: i64,
    /// `sha256:` and the hex SHA-256 of the secret.
    pub secret_hash: String,
    /// What the citizen chose to leave (may be empty): personal data.
    pub asker_name: String,
    pub asker_contact: String,
    pub created_at: i64,
}

/// A stored follow link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowLink {
    pub id: i64,
    pub inquiry_id: i64,
    pub secret_hash: String,
    pub asker_name: String,
    pub asker_contact: String,
    pub created_at: i64,
}

const COLS: &str = "id, inquiry_id, secret_hash, asker_name, asker_contact, created_at";

fn link_from(r: &AnyRow) -> Result<FollowLink> {
    Ok(FollowLink {
        id: r.try_get("id")?,
        inquiry_id: r.try_get("inquiry_id")?,
        secret_hash: r.try_get("secret_hash")?,
        asker_name: r.try_get("asker_name")?,
        asker_contact: r.try_get("asker_contact")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// The follow link whose secret hashes to `secret_hash` (an indexed lookup of the hash;
    /// the caller compares the stored hash in constant time).
    pub async fn follow_link_by_hash(&self, secret_hash: &str) -> Result<Option<FollowLink>> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM inquiry_follow_links WHERE secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from).transpose()
    }

    /// The follow link of an inquiry, if it was asked on the web.
    pub async fn follow_link_of(&self, inquiry_id: i64) -> Result<Option<FollowLink>> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM inquiry_follow_links WHERE inquiry_id = $1"
        ))
        .bind(inquiry_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from).transpose()
    }
}

impl WriteTx<'_> {
    /// Records the follow link of an inquiry written in this transaction; the row is bound to
    /// the transaction's audit event (the payload names the inquiry, never the hash).
    pub async fn add_follow_link(&mut self, link: &NewFollowLink) -> Result<FollowLink> {
        let id: i64 = sqlx::query(
            "INSERT INTO inquiry_follow_links \
             (inquiry_id, secret_hash, asker_name, asker_contact, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(link.inquiry_id)
        .bind(&link.secret_hash)
        .bind(&link.asker_name)
        .bind(&link.asker_contact)
        .bind(link.created_at)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        self.touch(Table::InquiryFollowLinks, id);
        self.audit(NewEvent::new(
            crate::inquiries::WEB_CITIZEN,
            "inquiry.follow_link_created",
            format!("inquiry:{}", link.inquiry_id),
            json!({ "link": id, "left_name": !link.asker_name.is_empty(),
                    "left_contact": !link.asker_contact.is_empty() }),
        ))
        .await?;
        Ok(FollowLink {
            id,
            inquiry_id: link.inquiry_id,
            secret_hash: link.secret_hash.clone(),
            asker_name: link.asker_name.clone(),
            asker_contact: link.asker_contact.clone(),
            created_at: link.created_at,
        })
    }
}
