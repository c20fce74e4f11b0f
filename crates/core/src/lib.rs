//! # quytac-core
//!
//! The pure core of quytac: it takes text and values and returns values. No I/O, no async, no
//! threads of its own, so it also builds for WebAssembly.
//!
//! Main types: [`finding::Category`], [`finding::Detection`], [`finding::Finding`].

pub mod agency;
pub mod canonical;
pub mod civil;
pub mod classifier;
pub mod detect;
pub mod engine;
pub mod eval;
pub mod finding;
pub mod identity;
pub mod item;
pub mod limits;
pub mod redact;
pub mod rules;
pub mod text;
pub mod workflow;
