//! JSON handlers of the API, one module per part of CONTRACT.md section 3.

pub mod audit;
pub mod check;
pub mod console;
pub mod consultations;
pub mod decree147;
pub mod identity;
pub mod inquiries;
pub mod mastodon;
pub mod meta;
pub mod moderation;
pub mod pipeline;
pub mod portal;
pub mod posts;
pub mod takedowns;
pub mod tokens;
pub mod transparency;
