//! Accounts of civil servants and agencies: display name, role, workplace and photo (CS-1,
//! CS-2), with the findings of the engine's profile check. The photo is checked by
//! `quytac-photo` and handed to the engine as a [`PhotoCheck`], as the CLI does: every
//! finding, CS-2 included, is the engine's, in Vietnamese and English.

use super::vouching::{AttestationView, Vouch};
use super::{check_agency_id, double, normalize_handle, text_field};
use crate::{Actor, ErrorKind, Result, Service, ServiceError};
use base64::Engine as _;
use quytac_core::engine::{PhotoCheck, PhotoProblem};
use quytac_core::finding::{Category, Finding};
use quytac_core::item::{Item, Profile, Role as SubjectRole};
use quytac_core::workflow::decree147::{self, AuthMethod, DecreeFinding};
use quytac_store::decree_of;
use quytac_store::model::{Account, AccountChanges, AccountDecree, AccountPhoto, NewAccount};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The largest photo accepted (decoded bytes).
pub const MAX_PHOTO_BYTES: usize = 512 * 1024;

/// How an account was authenticated (Decree 147, ND-1): `mobile` with a Vietnamese mobile
/// number, `personal_id` with the 12-digit personal ID (VNeID), or `none`. Only the method and
/// the last three digits are stored.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Authentication {
    #[schema(value_type = String)]
    pub method: AuthMethod,
    #[serde(default)]
    pub number: Option<String>,
}

/// The parent or guardian who registers and supervises a user under 16 (ND-4).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianRecord {
    /// The guardian's handle or name.
    pub name: String,
    /// `mẹ`, `cha`, `người giám hộ`…
    pub relation: String,
}

/// An account to register.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAccount {
    pub handle: String,
    pub display_name: String,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub role: Option<SubjectRole>,
    /// The agency the account names as its workplace.
    #[serde(default)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub workplace: Option<String>,
    /// The photo file (JPEG, PNG or WebP) as base64 or a `data:` URL.
    #[serde(default)]
    pub photo: Option<String>,
    /// Or a perceptual hash computed elsewhere (hex).
    #[serde(default)]
    pub photo_hash: Option<String>,
    /// How the account was authenticated (ND-1); absent is `none`.
    #[serde(default)]
    pub authentication: Option<Authentication>,
    /// Date of birth `YYYY-MM-DD` (ND-4: under 16 needs a guardian).
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub guardian: Option<GuardianRecord>,
}

/// Changes to an account; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeAccount {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub role: Option<SubjectRole>,
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub agency_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub workplace: Option<Option<String>>,
    /// A new photo (base64), or `null` to remove the photo.
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub photo: Option<Option<String>>,
    #[serde(default)]
    pub photo_hash: Option<String>,
    /// A new authentication (ND-1).
    #[serde(default)]
    pub authentication: Option<Authentication>,
    /// A date of birth, or `null` to clear it.
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<String>)]
    pub birth_date: Option<Option<String>>,
    /// A guardian record, or `null` to clear it.
    #[serde(default, deserialize_with = "double")]
    #[schema(value_type = Option<GuardianRecord>)]
    pub guardian: Option<Option<GuardianRecord>>,
}

/// The Decree 147 record an account will have: `before` with what a command changes, checked.
fn decree_record(
    before: AccountDecree,
    authentication: Option<Authentication>,
    birth_date: Option<Option<String>>,
    guardian: Option<Option<GuardianRecord>>,
) -> Result<AccountDecree> {
    let mut d = before;
    if let Some(a) = authentication {
        d.auth_ref = decree147::check_authentication(a.method, a.number.as_deref())?;
        d.auth_method = a.method;
    }
    if let Some(b) = birth_date {
        d.birth_date = match b {
            Some(b) => Some(
                decree147::parse_birth_date(&b)
                    .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
                    .ok_or_else(|| {
                        ServiceError::invalid_field("`birth_date` must be a date YYYY-MM-DD")
                    })?,
            ),
            None => None,
        };
    }
    if let Some(g) = guardian {
        match g {
            Some(g) => {
                d.guardian = Some(text_field("guardian.name", &g.name, true)?);
                d.guardian_relation = Some(text_field("guardian.relation", &g.relation, true)?);
            }
            None => {
                d.guardian = None;
                d.guardian_relation = None;
            }
        }
    }
    Ok(d)
}

/// An account with its attestations and CS-1..CS-3 findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    /// Whether an attestation counts now.
    pub vouched: bool,
    pub attestations: Vec<AttestationView>,
    pub findings: Vec<Finding>,
    /// ND-1 and ND-4 findings under the service's pack (Decree 147): not authenticated, or
    /// under 16 without a guardian. Such an account's posts are refused.
    pub decree_findings: Vec<DecreeFinding>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountShown {
    pub account: AccountView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountChanged {
    pub account: AccountView,
    /// Serials of attestations that stopped counting (a new display name or photo).
    pub attestations_no_longer_binding: Vec<String>,
}

/// Reads a photo given as base64 (optionally a `data:` URL) and checks it, or takes a
/// precomputed perceptual hash.
async fn photo_from(photo: Option<String>, hash: Option<String>) -> Result<Option<AccountPhoto>> {
    match (photo, hash) {
        (Some(_), Some(_)) => Err(ServiceError::invalid_field(
            "send `photo` or `photo_hash`, not both",
        )),
        (None, None) => Ok(None),
        (None, Some(h)) => {
            let parsed: quytac_photo::PhotoHash = h
                .parse()
                .map_err(|e| ServiceError::invalid_field(format!("`photo_hash`: {e}")))?;
            let hash = parsed.to_hex();
            Ok(Some(AccountPhoto {
                report: json!({"hash": hash, "checked": false}),
                hash,
            }))
        }
        (Some(b64), None) => {
            let data = match b64.split_once(";base64,") {
                Some((prefix, data)) if prefix.starts_with("data:") => data,
                _ => b64.as_str(),
            };
            if data.len() > MAX_PHOTO_BYTES.div_ceil(3) * 4 + 4 {
                return Err(ServiceError::new(
                    ErrorKind::PayloadTooLarge,
                    format!("the photo is larger than {MAX_PHOTO_BYTES} bytes"),
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| ServiceError::invalid_field(format!("`photo` is not base64: {e}")))?;
            let checker = quytac_photo::PhotoChecker::with_limits(quytac_photo::DecodeLimits {
                max_bytes: MAX_PHOTO_BYTES,
                max_width: 4096,
                max_height: 4096,
                max_alloc: 96 << 20,
            });
            let report = tokio::task::spawn_blocking(move || checker.check(&bytes))
                .await
                .map_err(|_| ServiceError::new(ErrorKind::Internal, "the photo check failed"))?
                .map_err(|e| ServiceError::invalid_field(format!("`photo`: {e}")))?;
            let hash = report.hash.to_hex();
            Ok(Some(AccountPhoto {
                report: json!({
                    "hash": hash,
                    "checked": true,
                    "format": report.format,
                    "width": report.width,
                    "height": report.height,
                    "faces": report.faces.iter().map(|f| json!({"x": f.x, "y": f.y, "width": f.width, "height": f.height})).collect::<Vec<_>>(),
                    "one_real_face": report.is_one_real_face(),
                    "problems": report.problems.iter().map(|p| json!({"code": p.code(), "message_vi": p.message_vi(), "message_en": p.message_en()})).collect::<Vec<_>>(),
                }),
                hash,
            }))
        }
    }
}

/// Whether two photo hashes are the same picture.
pub fn same_photo(a: &str, b: &str) -> bool {
    match (
        a.parse::<quytac_photo::PhotoHash>(),
        b.parse::<quytac_photo::PhotoHash>(),
    ) {
        (Ok(a), Ok(b)) => a.same_photo(&b),
        _ => a == b,
    }
}

/// The photo check of an account as the engine takes it: the problems its stored report
/// lists (none for a hash sent without the photo).
fn photo_check_of(account: &Account) -> PhotoCheck {
    let problems = account
        .photo_report
        .as_ref()
        .and_then(|r| r["problems"].as_array())
        .into_iter()
        .flatten()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
            PhotoProblem {
                code: s("code"),
                message_vi: s("message_vi"),
                message_en: s("message_en"),
            }
        })
        .collect();
    PhotoCheck::Checked(problems)
}

impl Service {
    pub(crate) async fn account_or_404(&self, handle: &str) -> Result<Account> {
        let handle =
            normalize_handle(handle).map_err(|_| ServiceError::not_found("no such account"))?;
        self.store
            .account(&handle)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no account `{handle}`")))
    }

    /// An account by its (normalised) handle, if registered.
    pub async fn find_account(&self, handle: &str) -> Result<Option<Account>> {
        Ok(self.store.account(handle).await?)
    }

    /// Accounts whose handle or display name contains `needle` (the directory).
    pub async fn search_accounts(&self, needle: &str, limit: i64) -> Result<Vec<Account>> {
        Ok(self.store.search_accounts(needle, limit).await?)
    }

    /// Other accounts whose photo is the same picture (impersonation, CS-2).
    pub async fn same_photo_accounts(&self, handle: &str, hash: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .photo_hashes_except(handle)
            .await?
            .into_iter()
            .filter(|(_, h)| same_photo(hash, h))
            .map(|(handle, _)| handle)
            .collect())
    }

    /// The account's CS-1..CS-3 findings, all from the engine's profile check: the display
    /// name against the legal name of a vouch that counts, the workplace and vouching, the
    /// photo's problems; and for each other account with the same picture, the engine's CS-2
    /// finding on that account's handle.
    pub async fn account_findings(
        &self,
        account: &Account,
        vouches: &[Vouch],
    ) -> Result<Vec<Finding>> {
        let counting = vouches.iter().find(|v| v.counts);
        let profile = Profile {
            id: account.handle.clone(),
            role: account.role,
            display_name: Some(account.display_name.clone()),
            legal_name: counting.map(|v| v.record.legal_name.clone()),
            photo: account.photo_hash.clone(),
            workplace: account.workplace.clone(),
            vouched_by: counting.map(|v| v.record.agency_id.clone()),
            bio: None,
        };
        let check = photo_check_of(account);
        let mut findings = self
            .engine
            .check_with(&Item::Profile(profile.clone()), Some(&check))
            .findings;
        if let Some(hash) = &account.photo_hash {
            for other in self.same_photo_accounts(&account.handle, hash).await? {
                let reused = PhotoCheck::Checked(vec![PhotoProblem {
                    code: "same_photo".into(),
                    message_vi: format!("cùng ảnh với tài khoản «{other}» (có thể mạo danh)"),
                    message_en: format!(
                        "the same photo as account `{other}` (possible impersonation)"
                    ),
                }]);
                let as_other = Profile {
                    photo: Some(other),
                    ..profile.clone()
                };
                findings.extend(
                    self.engine
                        .check_with(&Item::Profile(as_other), Some(&reused))
                        .findings
                        .into_iter()
                        .filter(|f| f.category == Category::RealPhoto),
                );
            }
        }
        Ok(findings)
    }

    pub async fn account_view(&self, account: Account) -> Result<AccountView> {
        let vouches = self.vouches(&account).await?;
        let findings = self.account_findings(&account, &vouches).await?;
        let decree_findings = decree147::account_findings(
            self.engine.pack(),
            &crate::decree147::standing_of(&account),
            crate::decree147::today_vn(),
        );
        Ok(AccountView {
            decree_findings,
            vouched: vouches.iter().any(|v| v.counts),
            attestations: vouches.iter().map(AttestationView::of).collect(),
            findings,
            account,
        })
    }

    /// Registers an account (admins and moderators, by the route table).
    pub async fn register_account(
        &self,
        actor: &Actor,
        cmd: RegisterAccount,
    ) -> Result<AccountShown> {
        let new = NewAccount {
            handle: normalize_handle(&cmd.handle)?,
            display_name: text_field("display_name", &cmd.display_name, true)?,
            role: cmd.role.unwrap_or_default(),
            agency_id: cmd.agency_id.as_deref().map(check_agency_id).transpose()?,
            workplace: cmd
                .workplace
                .map(|w| text_field("workplace", &w, false))
                .transpose()?
                .filter(|w| !w.is_empty()),
            photo: photo_from(cmd.photo, cmd.photo_hash).await?,
            decree: decree_record(
                AccountDecree::default(),
                cmd.authentication,
                cmd.birth_date.map(Some),
                cmd.guardian.map(Some),
            )?,
        };
        let (account, events) = self.store.create_account(&new, &actor.name()).await?;
        self.after_commit(&events).await;
        Ok(AccountShown {
            account: self.account_view(account).await?,
        })
    }

    /// An account with its attestations and findings.
    pub async fn account(&self, handle: &str) -> Result<AccountShown> {
        let account = self.account_or_404(handle).await?;
        Ok(AccountShown {
            account: self.account_view(account).await?,
        })
    }

    /// Changes an account; a new display name or photo stops its attestations counting.
    pub async fn change_account(
        &self,
        actor: &Actor,
        handle: &str,
        cmd: ChangeAccount,
    ) -> Result<AccountChanged> {
        let account = self.account_or_404(handle).await?;
        let photo = match (cmd.photo, cmd.photo_hash) {
            (Some(None), None) => Some(None),
            (Some(None), Some(_)) => {
                return Err(ServiceError::invalid_field(
                    "send `photo: null` or `photo_hash`, not both",
                ))
            }
            (p, h) => photo_from(p.flatten(), h).await?.map(Some),
        };
        let changes = AccountChanges {
            display_name: cmd
                .display_name
                .map(|d| text_field("display_name", &d, true))
                .transpose()?,
            role: cmd.role,
            agency_id: cmd
                .agency_id
                .map(|a| a.as_deref().map(check_agency_id).transpose())
                .transpose()?,
            workplace: cmd
                .workplace
                .map(|w| {
                    w.map(|w| text_field("workplace", &w, false))
                        .transpose()
                        .map(|w| w.filter(|w| !w.is_empty()))
                })
                .transpose()?,
            photo,
            decree: Some(decree_record(
                decree_of(&account),
                cmd.authentication,
                cmd.birth_date,
                cmd.guardian,
            )?),
        };
        let (after, events) = self
            .store
            .update_account(&account.handle, &changes, &actor.name())
            .await?;
        self.after_commit(&events).await;
        let no_longer = events
            .iter()
            .find(|e| e.action == "account.updated")
            .and_then(|e| e.payload["attestations_no_longer_binding"].as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Ok(AccountChanged {
            account: self.account_view(after).await?,
            attestations_no_longer_binding: no_longer,
        })
    }
}
