//! `GET /help`: a short help page — what each role can do on the site, what the figures of
//! the transparency and responsiveness pages mean, what the site keeps, whom to contact.
//! Its words are the `help.*` keys of the translation table (`words/pages.toml`).

use super::frame::Frame;
use super::render;
use askama::Template;
use axum::response::Response;

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    frame: Frame,
    roles: Vec<(&'static str, String, String)>,
    figures: Vec<(String, String)>,
}

/// The roles the help page explains, by the key of their words (`help.role_<key>`).
const ROLES: [&str; 6] = [
    "public",
    "citizen",
    "moderator",
    "reviewer",
    "agency_officer",
    "admin",
];

/// The figures the help page explains (`help.figure_<key>`).
const FIGURES: [&str; 7] = [
    "on_time",
    "median",
    "p90",
    "working_days",
    "decisions",
    "appeals",
    "takedowns",
];

pub async fn help_page(frame: Frame) -> Response {
    let roles = ROLES
        .iter()
        .map(|r| {
            (
                *r,
                frame.say(&format!("help.role_{r}")),
                frame.say(&format!("help.role_{r}_can")),
            )
        })
        .collect();
    let figures = FIGURES
        .iter()
        .map(|f| {
            (
                frame.say(&format!("help.figure_{f}")),
                frame.say(&format!("help.figure_{f}_means")),
            )
        })
        .collect();
    render(&HelpPage {
        frame,
        roles,
        figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::words::known;

    #[test]
    fn every_role_and_figure_has_words() {
        for r in ROLES {
            assert!(known(&format!("help.role_{r}")), "{r}");
            assert!(known(&format!("help.role_{r}_can")), "{r}");
        }
        for f in FIGURES {
            assert!(known(&format!("help.figure_{f}")), "{f}");
            assert!(known(&format!("help.figure_{f}_means")), "{f}");
        }
    }
}
