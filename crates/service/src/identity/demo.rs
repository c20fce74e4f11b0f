//! The identity demo (`quytac serve --demo`): two agencies (one verified with a badge, one
//! that names no page administrator and has no badge), two accounts, one vouched for. The
//! domain challenge of the verified agency is recorded as met without a fetch (the demo has
//! no real domain); the badge and the attestation are signed and stored by the same code as
//! the use cases.

use super::agencies::DEFAULT_RESPONSE_WORKING_DAYS;
use super::badges::BADGE_DAYS;
use super::challenges::CHALLENGE_TTL_MS;
use super::random_id;
use crate::{Result, Service};
use quytac_core::workflow::agency::ChallengeMethod;
use quytac_store::model::{AgencyChanges, NewAccount, NewAgency, Responsible, ResponsiblePerson};
use quytac_store::now_ms;

fn person(
    name: &str,
    position: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> Option<ResponsiblePerson> {
    Some(ResponsiblePerson {
        name: name.into(),
        position: position.into(),
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
    })
}

/// The demo's agency registered as a competent authority: its officers file takedowns.
pub const DEMO_AUTHORITY: &str = "so-tt-hn";

impl Service {
    /// Loads the identity demo; the agencies come first, the other areas' demos hang off them.
    pub async fn load_identity_demo(&self) -> Result<()> {
        let actor = "demo";
        let agencies = [
            (
                "so-tt-hn",
                "Sở Thông tin và Truyền thông Hà Nội",
                "sotttt.hanoi.gov.vn",
                "sotttt.hanoi",
                Responsible {
                    head: person(
                        "Nguyễn Thanh Hà",
                        "Giám đốc Sở",
                        Some("024 3825 6688"),
                        Some("vanphong@sotttt.hanoi.gov.vn"),
                    ),
                    page_admin: person(
                        "Lê Minh Tú",
                        "Chuyên viên Phòng Báo chí",
                        None,
                        Some("trangtin@sotttt.hanoi.gov.vn"),
                    ),
                },
            ),
            (
                "ubnd-q1",
                "Ủy ban nhân dân Quận 1",
                "quan1.hochiminhcity.gov.vn",
                "ubndquan1",
                Responsible {
                    head: person(
                        "Trần Văn Bình",
                        "Chủ tịch UBND",
                        Some("028 3829 4567"),
                        None,
                    ),
                    page_admin: None,
                },
            ),
        ];
        for (id, name, domain, handle, responsible) in agencies {
            match self.store.agency(id).await? {
                None => {
                    self.store
                        .create_agency(
                            &NewAgency {
                                id: id.into(),
                                name: name.into(),
                                parent_id: None,
                                official_domain: Some(domain.into()),
                                page_handle: Some(handle.into()),
                                portal_feed_url: None,
                                response_working_days: DEFAULT_RESPONSE_WORKING_DAYS,
                                responsible,
                                competent_authority: id == DEMO_AUTHORITY,
                            },
                            actor,
                        )
                        .await?;
                }
                Some(a) => {
                    let changes = AgencyChanges {
                        official_domain: a.official_domain.is_none().then(|| Some(domain.into())),
                        page_handle: a.page_handle.is_none().then(|| Some(handle.into())),
                        responsible: (a.responsible == Responsible::default())
                            .then_some(responsible),
                        name: None,
                        competent_authority: (id == DEMO_AUTHORITY).then_some(true),
                    };
                    self.store.update_agency(id, &changes, actor).await?;
                }
            }
        }
        let verified = self.agency_or_404("so-tt-hn").await?;
        if let Some(domain) = &verified.official_domain {
            let (c, _) = self
                .store
                .create_challenge(
                    &verified.id,
                    domain,
                    ChallengeMethod::WellKnown,
                    &random_id("quytac-challenge"),
                    now_ms() + CHALLENGE_TTL_MS,
                    actor,
                )
                .await?;
            self.store
                .record_challenge_attempt(c.id, Ok(()), actor)
                .await?;
            self.sign_badge(&verified, BADGE_DAYS, "reviewer:demo")
                .await?;
        }
        let accounts = [
            (
                "nguyen.van.an",
                "Nguyễn Văn An",
                "so-tt-hn",
                "Sở Thông tin và Truyền thông Hà Nội",
            ),
            ("bebong.q1", "Bé Bống 99", "ubnd-q1", "UBND Quận 1"),
        ];
        for (handle, display, agency, workplace) in accounts {
            if self.store.account(handle).await?.is_none() {
                self.store
                    .create_account(
                        &NewAccount {
                            handle: handle.into(),
                            display_name: display.into(),
                            role: quytac_core::item::Role::CivilServant,
                            agency_id: Some(agency.into()),
                            workplace: Some(workplace.into()),
                            photo: None,
                            decree: Default::default(),
                        },
                        actor,
                    )
                    .await?;
            }
        }
        let an = self.account_or_404("nguyen.van.an").await?;
        self.sign_attestation(
            &verified,
            &an,
            "Nguyễn Văn An",
            "Chuyên viên Phòng Báo chí",
            "agency_officer:demo",
        )
        .await?;
        Ok(())
    }
}
