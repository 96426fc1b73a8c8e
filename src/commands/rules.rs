//! `urpmail rules check`: validates a rules file and prints a one-line summary.

use std::io::Write;

use super::{Error, RulesChoice, write_out};

/// `urpmail rules check`: validates a rules file and summarises it.
pub fn check(choice: &RulesChoice) -> Result<String, Error> {
    use std::fmt::Write;
    let rules = choice.load()?.ok_or_else(|| Error::Input("nothing to check: give a rules file".into()))?;
    let (terms, patterns) = rules.rule_counts();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ok: rules {} (hash {}), taxonomy {} ({} topics, hash {}, fallback {}), {terms} term rules, {patterns} patterns, {} tipologie, {} internal domains",
        rules.rules_version,
        rules.hash,
        rules.taxonomy.id,
        rules.taxonomy.len(),
        rules.taxonomy.hash(),
        rules.taxonomy.fallback().map_or("-", |f| rules.taxonomy.topic(f).id.as_str()),
        rules.tipologie().len(),
        rules.exclusions.internal_domains.len()
    );
    Ok(s)
}

/// Runs `rules check`, writing the summary to `out`.
pub fn run(choice: &RulesChoice, out: &mut dyn Write) -> Result<(), Error> {
    write_out(out, &check(choice)?)
}
