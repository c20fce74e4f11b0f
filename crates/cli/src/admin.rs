//! `quytac admin`: administration of the service's store: tokens, staff users, and the
//! monthly partitions of PostgreSQL's posts.

use quytac_server::auth::Role;
use quytac_service::signing::AuditSigner;
use quytac_service::tokens::{self, NewToken};
use quytac_service::users::NewUser;
use quytac_service::{Service, Settings};
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
    /// Create a staff user who signs in to the console with a username and a password. The
    /// password is read from --password-file, else from the first line of standard input
    /// (never from the command line): at least 12 characters, not containing the username.
    AddUser {
        /// 2 to 32 of a-z 0-9 . _ -, starting with a letter (folded to lower case).
        #[arg(long)]
        username: String,
        /// The name the menu shows, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        name: String,
        /// admin, moderator, reviewer or agency_officer.
        #[arg(long)]
        role: Role,
        /// The agency an agency_officer acts for.
        #[arg(long)]
        agency: Option<String>,
        /// A file whose first line is the password.
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
        /// The audit key of the service (`serve --audit-key`).
        #[arg(long, default_value = "quytac-audit.key")]
        audit_key: PathBuf,
    },
    /// Disable a staff user: they can no longer sign in, and every session of theirs ends.
    DisableUser {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
        #[arg(long, default_value = "quytac-audit.key")]
        audit_key: PathBuf,
    },
    /// Give a staff user a new password (read like add-user's); every session of theirs ends.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[arg(long, default_value = "sqlite://quytac.db")]
        db: String,
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
    /// Create the monthly partitions of PostgreSQL's `posts` table ahead of time and list
    /// them with the rows each holds. A partition is a calendar month of Vietnam time
    /// (UTC+7, the months of the monthly reports); posts of a month without one wait in
    /// `posts_default` and move into their month when it is created. `serve` and `worker`
    /// make the current month and the next three when they start and every 6 hours while
    /// they run; run this to make more months at once, or to see them. Counting scans each
    /// partition. Nothing to do on SQLite, whose `posts` is one table.
    Partitions {
        /// Also create this many months after the current one (at most 120).
        #[arg(long, default_value_t = quytac_store::partitions::MONTHS_AHEAD,
              value_parser = clap::value_parser!(u16).range(0..=i64::from(quytac_store::partitions::MAX_MONTHS_AHEAD)))]
        ahead: u16,
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
            AdminCommand::AddUser {
                username,
                name,
                role,
                agency,
                password_file,
                db,
                audit_key,
            } => {
                let password = read_password(password_file.as_deref())?;
                let (service, store) = service(db, audit_key).await?;
                let new = NewUser {
                    username: username.clone(),
                    display_name: name.clone(),
                    role: *role,
                    agency: agency.clone(),
                    password,
                };
                let user = service.add_user("cli:admin", &new).await;
                store.close().await;
                let user = user?;
                eprintln!(
                    "quytac: user {} ({}, {}) created",
                    user.username, user.role, user.display_name
                );
                Ok(0)
            }
            AdminCommand::DisableUser {
                username,
                db,
                audit_key,
            } => {
                let (service, store) = service(db, audit_key).await?;
                let ended = service.disable_user("cli:admin", username).await;
                store.close().await;
                eprintln!(
                    "quytac: user {username} disabled; {} sessions ended",
                    ended?
                );
                Ok(0)
            }
            AdminCommand::ResetPassword {
                username,
                password_file,
                db,
                audit_key,
            } => {
                let password = read_password(password_file.as_deref())?;
                let (service, store) = service(db, audit_key).await?;
                let ended = service
                    .reset_password("cli:admin", username, &password)
                    .await;
                store.close().await;
                eprintln!(
                    "quytac: new password set for {username}; {} sessions ended",
                    ended?
                );
                Ok(0)
            }
            AdminCommand::Partitions { ahead, db } => {
                let store = Store::connect(db).await?;
                let listed = partitions(&store, *ahead).await;
                store.close().await;
                print!("{}", listed?);
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

/// Creates the months of `posts` up to `ahead` after the current one (reported on standard
/// error) and lists every partition: its name, its first and last day (Vietnam time) and the
/// rows it holds.
async fn partitions(store: &Store, ahead: u16) -> anyhow::Result<String> {
    for name in store.ensure_post_partitions(ahead).await? {
        eprintln!("quytac: created {name}");
    }
    let parts = store.post_partitions().await?;
    if parts.is_empty() {
        return Ok("posts is one table (SQLite): no partitions\n".into());
    }
    let mut out = format!(
        "{:<16} {:<10} {:<10} {:>12}\n",
        "partition", "from", "to", "rows"
    );
    for p in parts {
        let (from, to) = match p.range {
            // The last day is the one before the end (the range excludes its end).
            Some((from, to)) => (vn_date(from), vn_date(to - 1)),
            None => ("-".into(), "-".into()),
        };
        out += &format!("{:<16} {from:<10} {to:<10} {:>12}\n", p.name, p.rows);
    }
    Ok(out)
}

/// The date in Vietnam (UTC+7) at `ms`, Unix milliseconds.
fn vn_date(ms: i64) -> String {
    const VN_OFFSET_MS: i64 = 7 * 3_600_000;
    let (y, m, d) = quytac_core::civil::civil_from_days((ms + VN_OFFSET_MS).div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The service over the store (the use cases of users need it: hashing, the policy).
async fn service(db: &str, audit_key: &Path) -> anyhow::Result<(Service, Store)> {
    let signer = Arc::new(AuditSigner::load_or_create(audit_key)?);
    let store = Store::connect(db).await?;
    let pack = quytac_core::rules::RulePack::builtin(quytac_core::rules::DEFAULT_PACK)?;
    let service = Service::new(
        Arc::new(quytac_core::engine::Engine::new(pack)),
        store.clone(),
        signer,
        Settings::default(),
    );
    Ok((service, store))
}

/// A password from the first line of a file, else of standard input; never from argv.
fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line
        }
    };
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        anyhow::bail!("no password given (first line of --password-file or of standard input)");
    }
    Ok(line)
}

/// The store, with the service's audit key signing the head of every write.
async fn connect(db: &str, audit_key: &Path) -> anyhow::Result<Store> {
    let signer = AuditSigner::load_or_create(audit_key)?;
    let store = Store::connect(db).await?;
    store.set_head_signer(Arc::new(signer));
    Ok(store)
}
