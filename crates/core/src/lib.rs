//! # quytac-core
//!
//! The pure core of quytac: it takes text and values and returns values. No I/O, no async, no
//! threads of its own, so it also builds for WebAssembly.
//!
//! Main types: [`finding::Category`], [`finding::Detection`], [`finding::Finding`].

pub mod detect;
pub mod finding;
pub mod item;
pub mod rules;
pub mod text;
