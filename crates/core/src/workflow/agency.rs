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

/// May `actor` register an agency as a competent authority (or withdraw it)? Only an admin:
/// it lets the agency's officers request takedowns (ND-2).
pub fn may_register_authority(actor: &Actor) -> Result<(), Refusal> {
    match actor.role {
        Role::Admin => Ok(()),
        _ => Err(Refusal::Forbidden(
            "only an admin registers an agency as a competent authority".into(),
        )),
    }
}

/// May `actor` read a stored post through an agency's tools (the portal check by `post_id`),
/// the post being by agency `post_agency` (the agency it names as its author, or whose page
/// wrote it; `None` for anyone else's post)? Platform staff read any post; an officer only a
/// post of the agency their token is bound to. A refusal must look like a missing post, so
/// the answer tells nothing of other posts.
pub fn may_read_agency_post(actor: &Actor, post_agency: Option<&str>) -> bool {
    match actor.role {
        r if r.is_staff() => true,
        Role::AgencyOfficer => {
            matches!((actor.agency.as_deref(), post_agency), (Some(a), Some(p)) if a == p)
        }
        _ => false,
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
    fn only_an_admin_registers_a_competent_authority() {
        assert!(may_register_authority(&Actor::new(Role::Admin, 1)).is_ok());
        assert!(may_register_authority(&officer(Some("a"))).is_err());
        for role in [Role::Moderator, Role::Reviewer, Role::Citizen] {
            assert!(may_register_authority(&Actor::new(role, 2)).is_err());
        }
    }

    #[test]
    fn officers_read_only_their_own_agency_s_posts() {
        assert!(may_read_agency_post(&officer(Some("a")), Some("a")));
        assert!(!may_read_agency_post(&officer(Some("a")), Some("b")));
        assert!(!may_read_agency_post(&officer(Some("a")), None));
        assert!(!may_read_agency_post(&officer(None), Some("a")));
        assert!(!may_read_agency_post(&officer(None), None));
        for role in [Role::Admin, Role::Moderator, Role::Reviewer] {
            assert!(may_read_agency_post(&Actor::new(role, 1), None));
        }
        assert!(!may_read_agency_post(
            &Actor::new(Role::Citizen, 1),
            Some("a")
        ));
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
