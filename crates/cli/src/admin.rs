//! `quytac admin`: administration of the service's store.

use quytac_server::auth::{create_token_for_agency, Role};
use quytac_store::Store;

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
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
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
                db,
            } => {
                if account.is_some() && *role != Role::Citizen {
                    anyhow::bail!("--account binds a citizen token only");
                }
                let store = Store::connect(db).await?;
                let token =
                    create_token_for_agency(&store, *role, label, agency.as_deref(), "cli:admin")
                        .await?;
                if let Some(account) = account {
                    let id = token_id(&token)?;
                    store.bind_token_account(id, account, "cli:admin").await?;
                }
                store.close().await;
                println!("{token}");
                Ok(0)
            }
        }
    })
}

/// The id of a token `qt_<id>_<secret>`.
fn token_id(token: &str) -> anyhow::Result<i64> {
    token
        .strip_prefix("qt_")
        .and_then(|rest| rest.split('_').next())
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("an unexpected token format"))
}
