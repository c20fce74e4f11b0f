//! Identity checks on profiles: real names (CS-1) and named, vouched workplaces (CS-3); the
//! signed records of verification: badges of agency pages (AG-1) and staff attestations (CS-3),
//! and the findings of an agency page (AG-1..AG-3).

pub mod attestation;
pub mod badge;
pub mod name;
pub mod page;
pub mod workplace;
