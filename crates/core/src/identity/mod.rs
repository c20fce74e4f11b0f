//! Identity checks on profiles: real names (CS-1) and named, vouched workplaces (CS-3).

pub mod name;
pub mod workplace;
