//! `urpmail config check`: validates a configuration (rules and model included) and prints a
//! summary; passwords are read, never printed.

use std::io::Write;

use super::{Error, engine_for, write_out};
use crate::config::Config;

/// `urpmail config check`: validates a configuration and summarises it (never the password).
pub fn check(config: &Config) -> Result<String, Error> {
    use std::fmt::Write;
    let engine = engine_for(config)?;
    for a in &config.accounts {
        if let Some(ca) = &a.ca_file {
            crate::source::imap::ca_certificates(ca)
                .map_err(|e| Error::Input(format!("{}: account {}: {e}", config.file.display(), a.name)))?;
        }
    }
    let mut s = String::new();
    let _ = writeln!(s, "ok: {}", config.file.display());
    let _ = writeln!(
        s,
        "store: {} (snippets {})",
        config.store_path.display(),
        if config.store_snippets { "on, redacted" } else { "off" }
    );
    let _ = writeln!(
        s,
        "classification: taxonomy {}, rules {}, model {}",
        engine.classifier.taxonomy().id,
        engine.classifier.rules().map_or("none".to_string(), |r| r.rules_version.clone()),
        engine.classifier.model().map_or("none".to_string(), |m| m.header().version.clone())
    );
    for a in &config.accounts {
        let _ = writeln!(
            s,
            "account {}: {}@{}:{} tls {}{}, mailboxes {}, {} every {}s, batch {}",
            a.name,
            a.username,
            a.host,
            a.port,
            match a.tls {
                crate::config::Tls::Implicit => "implicit",
                crate::config::Tls::Starttls => "starttls",
                crate::config::Tls::None => "none",
            },
            a.ca_file.as_ref().map(|c| format!(" (CA {})", c.display())).unwrap_or_default(),
            a.mailboxes.join(", "),
            if a.idle { "IDLE, re-check" } else { "poll" },
            a.poll_interval.as_secs(),
            a.batch_size
        );
    }
    Ok(s)
}

/// Runs `config check`, writing the summary to `out`.
pub fn run(config: &Config, out: &mut dyn Write) -> Result<(), Error> {
    write_out(out, &check(config)?)
}
