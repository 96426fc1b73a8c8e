//! `urpmail status`: per-mailbox checkpoint, backlog, last run and counts, read-only (safe while
//! the daemon writes).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::{Error, store_error};
use crate::domain::Status as MessageStatus;
use crate::store::{MailboxState, ModelRecord, RunRecord, Store};

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
    /// The learned model that decides for this store (none: the configured one, built-in
    /// unless the configuration names a file).
    pub active_model: Option<ModelRecord>,
    /// The active model's ancestors, newest first, down to the model the first `learn` started
    /// from (which may be the built-in one, not recorded in the store).
    pub lineage: Vec<String>,
    /// Models this store learned.
    pub learned_models: usize,
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
        active_model: store.active_model().map_err(store_error(path))?,
        lineage: Vec::new(),
        learned_models: 0,
    };
    let learned = store.learned_models().map_err(store_error(path))?;
    st.learned_models = learned.len();
    let mut parent = st.active_model.as_ref().and_then(|m| m.parent_version.clone());
    while let Some(v) = parent {
        if st.lineage.contains(&v) {
            break; // a cycle cannot be written by learn; do not loop on a hand-edited store
        }
        parent = learned.iter().find(|m| m.version == v).and_then(|m| m.parent_version.clone());
        st.lineage.push(v);
    }
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
    match &st.active_model {
        Some(m) => {
            let mut chain = vec![m.version.clone()];
            chain.extend(st.lineage.iter().cloned());
            let _ = writeln!(
                s,
                "active model: {} (learned by batch {}, {} reviewed messages; file {}); lineage {}",
                m.version,
                m.batch_id.map_or("?".into(), |b| b.to_string()),
                m.documents,
                m.file.as_ref().map_or("removed".into(), |f| f.display().to_string()),
                chain.join(" <- ")
            );
        }
        None => {
            let _ = writeln!(
                s,
                "active model: the configured one (built-in unless the configuration names a file); {} learned",
                st.learned_models
            );
        }
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
