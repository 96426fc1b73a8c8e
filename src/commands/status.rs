//! `urpmail status`: per-mailbox checkpoint, backlog, last run and counts, read-only (safe while
//! the daemon writes).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::{Error, store_error};
use crate::domain::Status as MessageStatus;
use crate::store::{MailboxState, RunRecord, Store};

/// Version of the `status --format json` document.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// The status document.
#[derive(Debug, Serialize)]
pub struct Status {
    pub schema_version: u32,
    pub store: String,
    /// Distinct messages recorded: classified + excluded + skipped.
    pub messages: u64,
    pub classified: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: u64,
    pub review: u64,
    pub by_topic: BTreeMap<String, u64>,
    pub by_year: BTreeMap<String, u64>,
    pub mailboxes: Vec<MailboxStatus>,
    pub last_run: Option<RunRecord>,
}

/// One watched mailbox.
#[derive(Debug, Serialize)]
pub struct MailboxStatus {
    #[serde(flatten)]
    pub state: MailboxState,
    /// Messages on the server (at the last visit) not yet recorded.
    pub backlog: Option<u64>,
}

/// Reads the status of a store.
pub fn read(path: &std::path::Path) -> Result<Status, Error> {
    if !path.exists() {
        return Err(Error::Input(format!(
            "{}: no store yet (run `urpmail poll` or `urpmail ingest` first)",
            path.display()
        )));
    }
    let store = Store::open_readonly(path).map_err(store_error(path))?;
    let mut st = Status {
        schema_version: STATUS_SCHEMA_VERSION,
        store: path.display().to_string(),
        messages: store.message_count().map_err(store_error(path))?,
        classified: 0,
        excluded: BTreeMap::new(),
        skipped: 0,
        review: 0,
        by_topic: BTreeMap::new(),
        by_year: BTreeMap::new(),
        mailboxes: Vec::new(),
        last_run: store.last_run().map_err(store_error(path))?,
    };
    for row in store.counts().map_err(store_error(path))? {
        match row.status {
            MessageStatus::Classified => {
                st.classified += row.count;
                st.review += row.review;
                *st.by_topic.entry(row.key.clone()).or_insert(0) += row.count;
                let y = row.year.map_or("senza data".to_string(), |y| y.to_string());
                *st.by_year.entry(y).or_insert(0) += row.count;
            }
            MessageStatus::Excluded => *st.excluded.entry(row.key.clone()).or_insert(0) += row.count,
            MessageStatus::Skipped => st.skipped += row.count,
        }
    }
    for m in store.mailboxes().map_err(store_error(path))? {
        let located = store.located(&m.account, &m.mailbox, m.uidvalidity).map_err(store_error(path))?;
        let backlog = m.exists.map(|e| e.saturating_sub(located));
        st.mailboxes.push(MailboxStatus { state: m, backlog });
    }
    Ok(st)
}

/// The status as text for an operator.
pub fn to_text(st: &Status) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "store: {}", st.store);
    let _ = writeln!(
        s,
        "messages: {} (classified {}, excluded {}, skipped {}); flagged for review {}",
        st.messages,
        st.classified,
        st.excluded.values().sum::<u64>(),
        st.skipped,
        st.review
    );
    for (r, n) in &st.excluded {
        let _ = writeln!(s, "  excluded {r}: {n}");
    }
    for (y, n) in &st.by_year {
        let _ = writeln!(s, "  year {y}: {n} classified");
    }
    for m in &st.mailboxes {
        let _ = writeln!(
            s,
            "mailbox {}/{}: uidvalidity {}, last uid {}, backlog {}, updated {}",
            m.state.account,
            m.state.mailbox,
            m.state.uidvalidity,
            m.state.last_uid,
            m.backlog.map_or("?".into(), |b| b.to_string()),
            m.state.updated_at
        );
    }
    match &st.last_run {
        Some(r) => {
            let _ = writeln!(
                s,
                "last run #{} ({}): {} from {} to {}; fetched {}, classified {}, duplicates {}, errors {}{}",
                r.id,
                r.kind,
                r.status,
                r.started_at,
                r.finished_at.as_deref().unwrap_or("-"),
                r.fetched,
                r.classified,
                r.duplicates,
                r.errors,
                r.error.as_deref().map(|e| format!(", error: {e}")).unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(s, "no runs yet");
        }
    }
    s
}
