//! Who may act for an agency, and the words of its identity records (domain challenges,
//! revoked serials).

use super::{status_words, Actor, Refusal, Role};

status_words! {
    /// How an agency proves control of its official domain (a well-known file by default).
    #[derive(Default)]
    ChallengeMethod {
        /// A file at `https://DOMAIN/.well-known/quytac-challenge.txt`.
        #[default]
        WellKnown => "well_known",
        /// A TXT record of `_quytac-challenge.DOMAIN`.
        Dns => "dns",
    }
}

status_words! {
    /// What a revoked serial on the public revocation list was.
    SignedKind {
        Badge => "badge",
        Attestation => "attestation",
    }
}

/// May `actor` act for agency `agency_id` (its page details, domain challenges, staff)?
/// Admins may; an agency officer only with a token bound to that agency.
pub fn may_act_for(actor: &Actor, agency_id: &str) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::AgencyOfficer => match actor.agency.as_deref() {
            Some(a) if a == agency_id => Ok(()),
            Some(a) => Err(Refusal::Forbidden(format!(
                "this token acts for agency `{a}`, not `{agency_id}`"
            ))),
            None => Err(Refusal::Forbidden(
                "this agency_officer token is bound to no agency (quytac admin create-token --agency ID)"
                    .into(),
            )),
        },
        role => Err(Refusal::Forbidden(format!(
            "the role `{role}` may not act for an agency"
        ))),
    }
}

/// May `actor` change the official domain of an agency? Only an admin: the domain is what a
/// badge is issued for, so an officer cannot move it.
pub fn may_change_domain(actor: &Actor) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => Ok(()),
        _ => Err(Refusal::Forbidden(
            "only an admin changes an agency's official domain".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(agency: Option<&str>) -> Actor {
        Actor {
            agency: agency.map(str::to_string),
            ..Actor::new(Role::AgencyOfficer, 7)
        }
    }

    #[test]
    fn who_acts_for_an_agency() {
        assert!(may_act_for(&Actor::new(Role::Admin, 1), "a").is_ok());
        assert!(may_act_for(&officer(Some("a")), "a").is_ok());
        assert!(matches!(
            may_act_for(&officer(Some("b")), "a"),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            may_act_for(&officer(None), "a"),
            Err(Refusal::Forbidden(_))
        ));
        for role in [Role::Moderator, Role::Reviewer, Role::Citizen] {
            assert!(may_act_for(&Actor::new(role, 2), "a").is_err());
        }
    }

    #[test]
    fn only_an_admin_changes_the_domain() {
        assert!(may_change_domain(&Actor::new(Role::Admin, 1)).is_ok());
        for role in [
            Role::AgencyOfficer,
            Role::Moderator,
            Role::Reviewer,
            Role::Citizen,
        ] {
            assert!(may_change_domain(&Actor::new(role, 2)).is_err());
        }
        assert!(may_change_domain(&officer(Some("a"))).is_err());
    }

    #[test]
    fn words_round_trip() {
        for m in ChallengeMethod::ALL {
            assert_eq!(m.as_str().parse::<ChallengeMethod>().unwrap(), *m);
        }
        for k in SignedKind::ALL {
            assert_eq!(k.as_str().parse::<SignedKind>().unwrap(), *k);
        }
        assert_eq!(ChallengeMethod::default(), ChallengeMethod::WellKnown);
    }
}
