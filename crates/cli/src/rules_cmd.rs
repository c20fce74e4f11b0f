//! `quytac rules`: list the rules of a pack.

use crate::input::PackArgs;
use anyhow::Result;
use std::io::{self, Write};

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    #[command(flatten)]
    pub pack: PackArgs,
    /// Print the pack as JSON instead of a listing.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RulesArgs) -> Result<u8> {
    let pack = args.pack.load()?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &pack)?;
        writeln!(out)?;
        return Ok(0);
    }
    writeln!(out, "{} — {}", pack.id, pack.title_vi)?;
    writeln!(out, "{}", pack.title_en)?;
    writeln!(out, "source: {}\n", pack.source)?;
    for r in &pack.rules {
        let subjects: Vec<&str> = r.subjects.iter().map(|s| s.as_str()).collect();
        writeln!(
            out,
            "{}  [{}]  {}",
            r.id,
            r.severity.as_str(),
            subjects.join(", ")
        )?;
        writeln!(out, "    clause: “{}”", r.clause)?;
        if !r.categories.is_empty() {
            let cats: Vec<String> = r
                .categories
                .iter()
                .map(|c| match r.severity_by_category.get(c) {
                    Some(s) => format!("{c} ({})", s.as_str()),
                    None => c.to_string(),
                })
                .collect();
            writeln!(out, "    categories: {}", cats.join(", "))?;
        }
        writeln!(out, "    checks: {}", r.check)?;
        writeln!(out, "    vi: {}", r.message_vi)?;
        writeln!(out, "    en: {}\n", r.message_en)?;
    }
    Ok(0)
}
