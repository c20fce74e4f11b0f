//! `quytac admin`: administration of the service's store.

use quytac_server::auth::Role;
use quytac_service::signing::AuditSigner;
use quytac_service::tokens::{self, NewToken};
use quytac_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Create an API token with a role and print it (it is stored only as a hash).
    CreateToken {
        /// admin, moderator, reviewer, agency_officer or citizen.
        #[arg(long)]
        role: Role,
        /// What the token is for (kept in the audit log).
        #[arg(long, default_value = "")]
        label: String,
        /// The agency an agency_officer token acts for (vouching, domain challenges).
        #[arg(long)]
        agency: Option<String>,
        /// The author a citizen token speaks for (the `author.id` of their posts, e.g.
        /// `mastodon:alice`): it may appeal decisions on that author's posts.
        #[arg(long)]
        account: Option<String>,
        /// Refuse the token after this long: `90d`, `12h`, `30min`, `1week` (humantime).
        /// Without it the token lasts until revoked.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<Duration>,
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
        /// The audit key of the service (`serve --audit-key`): it signs the log's head after
        /// the write, so the log still verifies.
        #[arg(long, default_value = "quytac-audit.key")]
        audit_key: PathBuf,
    },
    /// Revoke an API token by its id (the number after `qt_`): it is refused from its next
    /// request on, by every server on the database, and its console sessions end.
    RevokeToken {
        /// The token's id.
        id: i64,
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
        /// The audit key of the service (`serve --audit-key`): it signs the log's head after
        /// the write, so the log still verifies.
        #[arg(long, default_value = "quytac-audit.key")]
        audit_key: PathBuf,
    },
}

pub fn run(args: &AdminArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match &args.command {
            AdminCommand::CreateToken {
                role,
                label,
                agency,
                account,
                expires_in,
                db,
                audit_key,
            } => {
                let store = connect(db, audit_key).await?;
                let new = NewToken {
                    role: *role,
                    label: label.clone(),
                    agency: agency.clone(),
                    expires_in: *expires_in,
                    account: account.clone(),
                };
                let token = tokens::create_token(&store, &new, "cli:admin").await;
                store.close().await;
                println!("{}", token?);
                Ok(0)
            }
            AdminCommand::RevokeToken { id, db, audit_key } => {
                let store = connect(db, audit_key).await?;
                let revoked = tokens::revoke_token(&store, *id, "cli:admin").await;
                store.close().await;
                let revoked = revoked?;
                eprintln!(
                    "quytac: token {} ({}, {:?}) revoked",
                    revoked.id, revoked.role, revoked.label
                );
                Ok(0)
            }
        }
    })
}

/// The store, with the service's audit key signing the head of every write.
async fn connect(db: &str, audit_key: &Path) -> anyhow::Result<Store> {
    let signer = AuditSigner::load_or_create(audit_key)?;
    let store = Store::connect(db).await?;
    store.set_head_signer(Arc::new(signer));
    Ok(store)
}
