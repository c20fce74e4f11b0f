//! End-to-end tests of the service: each test starts the real application on port 0 with a
//! fresh SQLite file and talks HTTP to it (`helpers`). One test binary, one module per area;
//! the areas with endpoints of their own add their rows to the permission matrix.

mod accounts;
mod audit;
mod authority;
mod check;
mod citizens;
mod console;
mod console_api;
mod consultations;
mod durability;
mod helpers;
mod identity;
mod inquiries;
mod limits;
mod mastodon;
mod moderation;
mod observe;
mod pages;
mod permissions;
mod pipeline;
mod queue;
mod reports;
mod sessions;
mod sign_in;
mod tokens;
