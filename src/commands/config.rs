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
        config.store,
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

/// Runs `config check`, writing the summary to `out`; with `connect`, the store folder and every
/// account are tried too (the first problem ends it, exit 2, with the reason).
pub fn run(config: &Config, connect: bool, out: &mut dyn Write) -> Result<(), Error> {
    write_out(out, &check(config)?)?;
    if connect {
        write_out(out, &store_writable(config)?)?;
        write_out(out, &try_accounts(config)?)?;
    }
    Ok(())
}

/// The store's folder accepts a new file (the service creates the database and its journal
/// there) and an existing store can be opened for writing, as this user.
fn store_writable(config: &Config) -> Result<String, Error> {
    let store = match &config.store {
        crate::store::StoreTarget::File(p) => p,
        db @ crate::store::StoreTarget::Postgres(_) => return store_reachable(config, db),
    };
    let dir = store.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let fail = |what: String| Error::Input(format!("{}: {what}", config.file.display()));
    if !dir.is_dir() {
        return Err(fail(format!(
            "the store's folder {} does not exist: create it (owned by the service user, mode 0750)",
            dir.display()
        )));
    }
    let probe = dir.join(format!(".urpmail-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => {
            return Err(fail(format!(
                "the store's folder {} is not writable by this user ({e}): run the check as the service user, or give it the folder",
                dir.display()
            )));
        }
    }
    if store.exists()
        && let Err(e) = std::fs::OpenOptions::new().append(true).open(store)
    {
        return Err(fail(format!("the store {} is not writable by this user ({e})", store.display())));
    }
    Ok(format!("store folder {}: writable\n", dir.display()))
}

/// A database store: the login works and the store can be written (its tables created or
/// migrated), as `poll` will do.
fn store_reachable(config: &Config, db: &crate::store::StoreTarget) -> Result<String, Error> {
    let fail = |e: crate::store::StoreError| Error::Input(format!("{}: {}", config.file.display(), e.at(db)));
    let store = crate::store::Store::open(db).map_err(fail)?;
    let messages = store.message_count().map_err(fail)?;
    Ok(format!("store {db}: connected, writable, {messages} messages\n"))
}

/// Logs in to every account and EXAMINEs every mailbox, read-only.
fn try_accounts(config: &Config) -> Result<String, Error> {
    use crate::source::imap::Client;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
    runtime.block_on(async {
        let mut text = String::new();
        for a in &config.accounts {
            let mut client = Client::new(a.clone());
            // The error names the account already.
            let fail =
                |e: crate::source::imap::ImapError| Error::Input(format!("{}: {e}", config.file.display()));
            client.ensure_connected().await.map_err(fail)?;
            let mut boxes = Vec::new();
            for m in &a.mailboxes {
                let info = client.examine(m).await.map_err(fail)?;
                boxes.push(format!("{m} {} messages", info.exists));
            }
            client.logout().await;
            text += &format!("account {}: login ok; {}\n", a.name, boxes.join(", "));
        }
        Ok(text)
    })
}
