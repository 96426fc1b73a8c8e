//! The SQLite store: one row per distinct message (decision, versions, no bodies), where each was
//! seen, a checkpoint per watched mailbox and a ledger of runs. `rusqlite` stays behind this
//! module. WAL mode, so a report or `status` can read while the daemon writes.
//!
//! Idempotence: messages are keyed by their content key; writing a batch inserts new messages,
//! records new locations of known ones (duplicates) and advances the checkpoint, all in one
//! transaction. A crash before commit loses nothing (the batch is fetched again); a re-run never
//! counts twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::domain::{Uid, UidValidity};

/// Schema migrations, applied in order; the index + 1 is the `user_version` after it.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("migration2.sql"),
    include_str!("migration3.sql"),
    include_str!("migration4.sql"),
];

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}{hint}", hint = hint(.source))]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "{path}: database schema version {found} is newer than this urpmail knows ({known}); upgrade urpmail"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("database error: {0}{hint}", hint = hint(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("store {path}: {source}{hint}", hint = hint(.source))]
    At { path: PathBuf, source: rusqlite::Error },
}

impl StoreError {
    /// Names the store file in a database error (the connection does not know its path).
    pub fn at(self, path: &Path) -> StoreError {
        match self {
            StoreError::Sql(source) => StoreError::At { path: path.to_path_buf(), source },
            e => e,
        }
    }
}

/// What to do about the SQLite errors an operator can fix.
fn hint(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DiskFull) => {
            " (the disk holding the store is full: free space and run again; the batch in progress was \
             not recorded and its checkpoint did not move, so it is fetched again)"
        }
        Some(C::ReadOnly) => {
            " (the store is read-only: check that its file system is mounted read-write and that the \
             service user owns the file and its directory)"
        }
        Some(C::DatabaseBusy | C::DatabaseLocked) => {
            " (another process held the store locked for too long: check for a stuck urpmail or a \
             tool holding a write transaction)"
        }
        Some(C::CannotOpen | C::PermissionDenied) => {
            " (cannot open the store file: check that its directory exists and the service user may \
             write there)"
        }
        Some(C::DatabaseCorrupt | C::NotADatabase) => {
            " (the store file is damaged or not an urpmail store: restore the last backup, see \
             docs/service.md)"
        }
        Some(C::SystemIoFailure) => {
            " (input/output error on the store's disk: check the disk and free space)"
        }
        _ => "",
    }
}

pub use crate::domain::Location;

/// The `locations` row of a location: `(account, mailbox, uidvalidity, uid)`. Files and the
/// sample have no account; a file's mailbox is its path and its uid the mbox index (0 for a
/// plain file), the sample's mailbox is `sample:NAME`. Existing stores hold exactly these.
fn location_columns(l: &Location) -> (&str, std::borrow::Cow<'_, str>, i64, i64) {
    match l {
        Location::File { path, mbox_index } => {
            ("", path.to_string_lossy(), 0, i64::from(mbox_index.unwrap_or(0)))
        }
        Location::Imap { account, mailbox, uidvalidity, uid } => {
            (account, mailbox.as_str().into(), i64::from(uidvalidity.0), i64::from(uid.0))
        }
        Location::Sample { name } => ("", format!("{SAMPLE_PREFIX}{name}").into(), 0, 0),
    }
}

const SAMPLE_PREFIX: &str = "sample:";

/// The location a `locations` row describes (the inverse of [`location_columns`]; mbox entry 0
/// reads back as the first message at the path, which is the same message).
fn location_from_columns(account: String, mailbox: String, uidvalidity: i64, uid: i64) -> Location {
    if !account.is_empty() {
        return Location::Imap {
            account,
            mailbox,
            uidvalidity: UidValidity(uidvalidity as u32),
            uid: Uid(uid as u32),
        };
    }
    match mailbox.strip_prefix(SAMPLE_PREFIX) {
        Some(name) => Location::Sample { name: name.to_string() },
        None => Location::File { path: PathBuf::from(mailbox), mbox_index: (uid > 0).then_some(uid as u32) },
    }
}

/// One message's decision, as stored.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub content_key: String,
    pub message_date: Option<String>,
    pub date_source: &'static str,
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub channel: &'static str,
    /// `classified`, `excluded` or `skipped`.
    pub status: &'static str,
    pub topic: String,
    pub confidence: f64,
    pub decided_by: &'static str,
    pub review: bool,
    pub review_reasons: String,
    pub tipologia: Option<String>,
    pub exclusion: Option<&'static str>,
    pub exclusion_strong: Option<bool>,
    pub skip_reason: Option<String>,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
    pub snippet: Option<String>,
    pub sender_domain: Option<String>,
    /// JSON explanation (top topics, rules fired, model terms).
    pub explanation: Option<String>,
    pub location: Location,
}

/// A checkpoint of a watched mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub uidvalidity: UidValidity,
    pub last_uid: Uid,
}

/// What writing a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchResult {
    /// New messages.
    pub inserted: u64,
    /// Messages already stored (seen in another mailbox, re-delivered or re-ingested).
    pub duplicates: u64,
}

/// Totals of a run for the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunTotals {
    pub fetched: u64,
    pub classified: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: BTreeMap<String, u64>,
    pub duplicates: u64,
    pub errors: u64,
}

impl RunTotals {
    /// Adds one stored message to the totals.
    pub fn count(&mut self, m: &StoredMessage) {
        self.fetched += 1;
        match m.status {
            "excluded" => *self.excluded.entry(m.exclusion.unwrap_or("?").to_string()).or_insert(0) += 1,
            "skipped" => {
                let reason = m.skip_reason.as_deref().unwrap_or("?");
                // Group by kind ("message too large: 123 bytes" -> "message too large").
                let kind = reason.split(':').next().unwrap_or(reason).to_string();
                *self.skipped.entry(kind).or_insert(0) += 1;
            }
            _ => self.classified += 1,
        }
    }
}

/// A run as stored in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub kind: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub fetched: u64,
    pub classified: u64,
    pub excluded: serde_json::Value,
    pub skipped: serde_json::Value,
    pub duplicates: u64,
    pub errors: u64,
    pub error: Option<String>,
}

/// Per-mailbox state for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxState {
    pub account: String,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
    pub exists: Option<u64>,
    pub updated_at: String,
}

/// One cell of the counts: topic (or exclusion reason) per period and channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub channel: String,
    pub status: String,
    /// Topic id for classified mail, exclusion reason for excluded, skip kind for skipped.
    pub key: String,
    pub count: u64,
    pub review: u64,
    /// Request type of classified mail.
    pub tipologia: Option<String>,
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Store {
    /// Opens (creating if needed) a store for writing, migrates it, sets WAL mode.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            Store::create(path)?;
        }
        let conn =
            Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Creates a new store under a temporary name and links it into place complete, so that a
    /// reader (`urpmail status` while the daemon starts for the first time) never sees a store
    /// without its tables. When two processes create the same store, the first link wins and
    /// both go on with it.
    fn create(path: &Path) -> Result<(), StoreError> {
        let name = path.file_name().map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{name}.creating-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp); // left by a crash of an earlier process with this pid
        let made = (|| {
            let conn = Connection::open(&tmp)
                .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
            restrict_permissions(&tmp)?;
            let mut store = Store { conn, path: path.to_path_buf() };
            store.configure()?;
            store.migrate()?;
            Ok(())
            // Closing checkpoints the WAL into the file and removes it.
        })();
        let linked = made.and_then(|()| match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            // A file system without hard links: a rename, unless the store appeared meanwhile.
            Err(_) if !path.exists() => std::fs::rename(&tmp, path).map_err(|e| StoreError::Io {
                path: path.to_path_buf(),
                message: format!("cannot create the store: {e}"),
            }),
            Err(_) => Ok(()),
        });
        let _ = std::fs::remove_file(&tmp);
        linked
    }

    /// Opens an existing store read-only (status, reports): safe while the daemon writes.
    pub fn open_readonly(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let store = Store { conn, path: path.to_path_buf() };
        let v = store.user_version()?;
        if v > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: v,
                known: MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn.busy_timeout(std::time::Duration::from_secs(30))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    fn user_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let v = self.user_version()?;
        let known = MIGRATIONS.len() as i64;
        if v > known {
            return Err(StoreError::TooNew { path: self.path.clone(), found: v, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if sql.contains("PRAGMA writable_schema = ON") {
                // The schema text was edited in place: a new schema version makes every
                // connection (a report reading while the daemon writes) reload it.
                let version: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
                tx.pragma_update(None, "schema_version", version + 1)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::debug!(version = i + 1, "store schema migrated");
        }
        Ok(())
    }

    /// Starts a run in the ledger.
    pub fn begin_run(&mut self, kind: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO runs (kind, started_at, status) VALUES (?1, ?2, 'running')",
            params![kind, now_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Closes a run in the ledger.
    pub fn finish_run(
        &mut self,
        run: i64,
        totals: &RunTotals,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, fetched = ?4, classified = ?5, excluded = ?6,
             skipped = ?7, duplicates = ?8, errors = ?9, error = ?10 WHERE id = ?1",
            params![
                run,
                now_rfc3339(),
                status,
                totals.fetched as i64,
                totals.classified as i64,
                serde_json::to_string(&totals.excluded).unwrap_or_default(),
                serde_json::to_string(&totals.skipped).unwrap_or_default(),
                totals.duplicates as i64,
                totals.errors as i64,
                error
            ],
        )?;
        Ok(())
    }

    /// The checkpoint of a mailbox.
    pub fn checkpoint(&self, account: &str, mailbox: &str) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM checkpoints WHERE account = ?1 AND mailbox = ?2",
                params![account, mailbox],
                |r| {
                    Ok(Checkpoint {
                        uidvalidity: UidValidity(r.get::<_, i64>(0)? as u32),
                        last_uid: Uid(r.get::<_, i64>(1)? as u32),
                    })
                },
            )
            .optional()?)
    }

    /// Records what the server says a mailbox holds (for the backlog), without moving the
    /// checkpoint. A new UIDVALIDITY restarts the checkpoint at UID 0: the mailbox is scanned
    /// again and content keys keep the counts exact.
    pub fn visit_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        uidvalidity: UidValidity,
        exists: u64,
    ) -> Result<Checkpoint, StoreError> {
        let current = self.checkpoint(account, mailbox)?;
        let cp = match current {
            Some(c) if c.uidvalidity == uidvalidity => c,
            Some(c) => {
                tracing::warn!(
                    account,
                    mailbox,
                    old = c.uidvalidity.0,
                    new = uidvalidity.0,
                    "UIDVALIDITY changed: rescanning the mailbox (duplicates are not counted twice)"
                );
                Checkpoint { uidvalidity, last_uid: Uid(0) }
            }
            None => Checkpoint { uidvalidity, last_uid: Uid(0) },
        };
        self.conn.execute(
            "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, exists_count, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = ?3, last_uid = ?4, exists_count = ?5, updated_at = ?6",
            params![account, mailbox, i64::from(cp.uidvalidity.0), i64::from(cp.last_uid.0), exists as i64, now_rfc3339()],
        )?;
        Ok(cp)
    }

    /// Writes a batch of decisions and, in the same transaction, advances the checkpoint.
    pub fn write_batch(
        &mut self,
        run: i64,
        messages: &[StoredMessage],
        advance: Option<(&str, &str, Checkpoint)>,
    ) -> Result<BatchResult, StoreError> {
        let tx = self.conn.transaction()?;
        let mut result = BatchResult::default();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (content_key, message_date, date_source, year, month, channel, status, topic,
                   confidence, decided_by, review, review_reasons, tipologia, exclusion, exclusion_strong, skip_reason,
                   taxonomy, rules_version, model_version, snippet, run_id, recorded_at, sender_domain, explanation)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
                 ON CONFLICT (content_key) DO NOTHING",
            )?;
            let mut find = tx.prepare_cached("SELECT id FROM messages WHERE content_key = ?1")?;
            let mut was_pruned = tx.prepare_cached("SELECT 1 FROM pruned WHERE content_key = ?1")?;
            let mut locate = tx.prepare_cached(
                "INSERT INTO locations (message_id, account, mailbox, uidvalidity, uid) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
            )?;
            let now = now_rfc3339();
            // Most stores have never been pruned: then no key needs looking up there.
            let any_pruned: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM pruned)", [], |r| r.get(0))?;
            for m in messages {
                if any_pruned && was_pruned.exists(params![m.content_key])? {
                    result.duplicates += 1; // counted before, in the aggregates
                    continue;
                }
                let n = insert.execute(params![
                    m.content_key,
                    m.message_date,
                    m.date_source,
                    m.year,
                    m.month,
                    m.channel,
                    m.status,
                    m.topic,
                    m.confidence,
                    m.decided_by,
                    m.review,
                    m.review_reasons,
                    m.tipologia,
                    m.exclusion,
                    m.exclusion_strong,
                    m.skip_reason,
                    m.taxonomy,
                    m.rules_version,
                    m.model_version,
                    m.snippet,
                    run,
                    now,
                    m.sender_domain,
                    m.explanation
                ])?;
                let id: i64 = if n == 1 {
                    result.inserted += 1;
                    tx.last_insert_rowid()
                } else {
                    result.duplicates += 1;
                    find.query_row(params![m.content_key], |r| r.get(0))?
                };
                let (account, mailbox, uidvalidity, uid) = location_columns(&m.location);
                locate.execute(params![id, account, mailbox, uidvalidity, uid])?;
            }
        }
        if let Some((account, mailbox, cp)) = advance {
            tx.execute(
                "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = ?3,
                   last_uid = MAX(CASE WHEN checkpoints.uidvalidity = ?3 THEN checkpoints.last_uid ELSE 0 END, ?4),
                   updated_at = ?5",
                params![account, mailbox, i64::from(cp.uidvalidity.0), i64::from(cp.last_uid.0), now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(result)
    }

    /// Counts grouped by year, month, channel, status and topic (or reason).
    pub fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        // Live rows plus the aggregates of pruned ones (retention keeps the counts).
        let mut stmt = self.conn.prepare(
            "SELECT year, month, channel, status, key, SUM(n), SUM(rv), tipologia FROM (
               SELECT year, month, channel, status,
                    CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE
                      CASE WHEN instr(skip_reason, ':') > 0 THEN substr(skip_reason, 1, instr(skip_reason, ':') - 1) ELSE skip_reason END END AS key,
                    COUNT(*) AS n, SUM(review) AS rv, tipologia
               FROM messages GROUP BY 1, 2, 3, 4, 5, 8
               UNION ALL
               SELECT year, month, channel, status, key, count, review, tipologia FROM aggregates)
             GROUP BY 1, 2, 3, 4, 5, 8 ORDER BY 1, 2, 3, 4, 5, 8",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CountRow {
                year: r.get(0)?,
                month: r.get(1)?,
                channel: r.get(2)?,
                status: r.get(3)?,
                key: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                count: r.get::<_, i64>(5)? as u64,
                review: r.get::<_, Option<i64>>(6)?.unwrap_or(0) as u64,
                tipologia: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Checkpoints of all mailboxes.
    pub fn mailboxes(&self) -> Result<Vec<MailboxState>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT account, mailbox, uidvalidity, last_uid, exists_count, updated_at FROM checkpoints ORDER BY 1, 2",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MailboxState {
                account: r.get(0)?,
                mailbox: r.get(1)?,
                uidvalidity: r.get::<_, i64>(2)? as u32,
                last_uid: r.get::<_, i64>(3)? as u32,
                exists: r.get::<_, Option<i64>>(4)?.map(|x| x as u64),
                updated_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The most recent run, if any.
    pub fn last_run(&self) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, kind, started_at, finished_at, status, fetched, classified, excluded, skipped, duplicates, errors, error
                 FROM runs ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(RunRecord {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        started_at: r.get(2)?,
                        finished_at: r.get(3)?,
                        status: r.get(4)?,
                        fetched: r.get::<_, i64>(5)? as u64,
                        classified: r.get::<_, i64>(6)? as u64,
                        excluded: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                        skipped: serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or_default(),
                        duplicates: r.get::<_, i64>(9)? as u64,
                        errors: r.get::<_, i64>(10)? as u64,
                        error: r.get(11)?,
                    })
                },
            )
            .optional()?)
    }

    /// Number of messages recorded at a mailbox under a UIDVALIDITY (for the backlog).
    pub fn located(&self, account: &str, mailbox: &str, uidvalidity: u32) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM locations WHERE account = ?1 AND mailbox = ?2 AND uidvalidity = ?3",
            params![account, mailbox, uidvalidity as i64],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Rules and model versions behind the stored decisions, as "v1" or "v1, v2 (n)" lists.
    pub fn decision_versions(&self) -> Result<(Option<String>, Option<String>), StoreError> {
        let list = |col: &str| -> Result<Option<String>, StoreError> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {col}, COUNT(*) FROM messages WHERE {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
            ))?;
            let v: Vec<(String, i64)> =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            Ok(match v.len() {
                0 => None,
                1 => Some(v[0].0.clone()),
                _ => Some(v.iter().map(|(s, n)| format!("{s} ({n})")).collect::<Vec<_>>().join(", ")),
            })
        };
        Ok((list("rules_version")?, list("model_version")?))
    }

    /// Retention: removes snippets of messages dated before `cutoff` (YYYY-MM-DD); unless
    /// `snippets_only`, folds those messages into the aggregate counts and deletes their rows,
    /// locations and audit rows, keeping only their content keys. Counts do not change.
    pub fn prune(&mut self, cutoff: &str, snippets_only: bool) -> Result<(u64, u64), StoreError> {
        let tx = self.conn.transaction()?;
        let old = "message_date IS NOT NULL AND substr(message_date, 1, 10) < ?1";
        let snippets = tx.execute(
            &format!("UPDATE messages SET snippet = NULL WHERE snippet IS NOT NULL AND {old}"),
            params![cutoff],
        )? as u64;
        let mut rows = 0;
        if !snippets_only {
            tx.execute(
                &format!(
                    "INSERT INTO aggregates (year, month, channel, status, key, tipologia, count, review)
                     SELECT year, month, channel, status,
                       CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE
                         CASE WHEN instr(skip_reason, ':') > 0 THEN substr(skip_reason, 1, instr(skip_reason, ':') - 1) ELSE skip_reason END END,
                       tipologia, COUNT(*), SUM(review)
                     FROM messages WHERE {old} GROUP BY 1, 2, 3, 4, 5, 6"
                ),
                params![cutoff],
            )?;
            tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO pruned (content_key) SELECT content_key FROM messages WHERE {old}"
                ),
                params![cutoff],
            )?;
            let ids = format!("SELECT id FROM messages WHERE {old}");
            tx.execute(&format!("DELETE FROM corrections WHERE message_id IN ({ids})"), params![cutoff])?;
            tx.execute(&format!("DELETE FROM locations WHERE message_id IN ({ids})"), params![cutoff])?;
            rows = tx.execute(&format!("DELETE FROM messages WHERE {old}"), params![cutoff])? as u64;
        }
        tx.commit()?;
        Ok((snippets, rows))
    }

    /// Number of distinct messages stored.
    pub fn message_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM messages) + (SELECT COALESCE(SUM(count), 0) FROM aggregates)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Marks runs left `running` by a crash as `interrupted`.
    pub fn close_stale_runs(&mut self) -> Result<u64, StoreError> {
        Ok(self.conn.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
            params![now_rfc3339()],
        )? as u64)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        message: format!("cannot restrict permissions: {e}"),
    })
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(key: &str, uid: u32, mailbox: &str) -> StoredMessage {
        StoredMessage {
            content_key: key.into(),
            message_date: Some("2025-03-01T10:00:00+01:00".into()),
            date_source: "header",
            year: Some(2025),
            month: Some(3),
            channel: "email",
            status: "classified",
            topic: "tributi".into(),
            confidence: 0.9,
            decided_by: "both",
            review: false,
            review_reasons: String::new(),
            tipologia: Some("informazione".into()),
            exclusion: None,
            exclusion_strong: None,
            skip_reason: None,
            taxonomy: "urp-it-1".into(),
            rules_version: Some("1.0.0".into()),
            model_version: Some("abc".into()),
            snippet: None,
            sender_domain: Some("example.it".into()),
            explanation: None,
            location: Location::Imap {
                account: "urp".into(),
                mailbox: mailbox.into(),
                uidvalidity: UidValidity(7),
                uid: Uid(uid),
            },
        }
    }

    #[test]
    fn a_reader_never_sees_a_store_without_its_tables() {
        // `urpmail status` polled while the daemon creates its store for the first time.
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join(format!("s{round}.db"));
            let done = std::sync::atomic::AtomicBool::new(false);
            std::thread::scope(|scope| {
                let reader = scope.spawn(|| {
                    let mut reads = 0;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        if path.exists() {
                            let s = Store::open_readonly(&path).expect("opens");
                            s.message_count().expect("a complete schema");
                            s.counts().expect("a complete schema");
                            reads += 1;
                        }
                    }
                    reads
                });
                let s = Store::open(&path).expect("creates");
                assert_eq!(s.message_count().expect("count"), 0);
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                reader.join().expect("reader")
            });
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .expect("dir")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("creating"))
                .collect();
            assert!(left.is_empty(), "temporary files left: {left:?}");
        }
    }

    #[test]
    fn migration_4_rewrites_the_status_check_and_keeps_the_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v3.db");
        {
            // A store as version 3 left it, with one message.
            let conn = Connection::open(&path).expect("open");
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).expect("old migration");
            }
            conn.pragma_update(None, "user_version", 3).expect("version");
            conn.execute("INSERT INTO runs (kind, started_at, status) VALUES ('poll', 'x', 'ok')", [])
                .expect("run");
            conn.execute(
                "INSERT INTO messages (content_key, date_source, channel, status, topic, confidence, decided_by,
                   review, review_reasons, taxonomy, run_id, recorded_at)
                 VALUES ('k', 'header', 'email', 'excluded', 'altro', 0.5, 'exclusion', 0, '', 't', 1, 'x')",
                [],
            )
            .expect("row");
        }
        // A reader that opened the store before the migration.
        let reader = Connection::open(&path).expect("reader");
        let before: i64 = reader.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0)).expect("count");
        assert_eq!(before, 1);

        let s = Store::open(&path).expect("migrates");
        assert_eq!(s.user_version().expect("version"), MIGRATIONS.len() as i64);
        let sql: String = s
            .conn
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'messages'", [], |r| r.get(0))
            .expect("schema");
        assert!(
            sql.contains("CHECK (status = 'classified' OR status = 'excluded' OR status = 'skipped')"),
            "{sql}"
        );
        assert!(!sql.contains("status IN"), "{sql}");
        let ok: String = s.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
        assert_eq!(ok, "ok");
        assert_eq!(s.message_count().expect("count"), 1, "rows kept");
        // The constraint still holds, for this connection and for the one opened before.
        for conn in [&s.conn, &reader] {
            let bad = conn.execute(
                "INSERT INTO messages (content_key, date_source, channel, status, topic, confidence, decided_by,
                   review, review_reasons, taxonomy, run_id, recorded_at)
                 VALUES ('k2', 'header', 'email', 'lost', 'altro', 0.5, 'x', 0, '', 't', 1, 'x')",
                [],
            );
            assert!(bad.is_err_and(|e| e.to_string().contains("CHECK constraint failed")));
        }
        let reader_sql: String = reader
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'messages'", [], |r| r.get(0))
            .expect("schema");
        assert_eq!(reader_sql, sql, "the other connection reloaded the schema");
    }

    #[test]
    fn locations_keep_the_columns_existing_stores_hold() {
        let cases = [
            (Location::File { path: "/m/a.eml".into(), mbox_index: None }, ("", "/m/a.eml", 0, 0)),
            (Location::File { path: "/m/box".into(), mbox_index: Some(3) }, ("", "/m/box", 0, 3)),
            (Location::Sample { name: "1.M1:2,S".into() }, ("", "sample:1.M1:2,S", 0, 0)),
            (
                Location::Imap {
                    account: "urp".into(),
                    mailbox: "INBOX".into(),
                    uidvalidity: UidValidity(9),
                    uid: Uid(42),
                },
                ("urp", "INBOX", 9, 42),
            ),
        ];
        for (l, (account, mailbox, uidvalidity, uid)) in cases {
            let (a, m, v, u) = location_columns(&l);
            assert_eq!((a, m.as_ref(), v, u), (account, mailbox, uidvalidity, uid));
            let back = location_from_columns(a.to_string(), m.into_owned(), v, u);
            assert_eq!(back, l);
        }
    }

    #[test]
    fn batches_are_idempotent_and_advance_the_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let mut s = Store::open(&path).expect("open");
        let run = s.begin_run("poll").expect("run");
        let cp = s.visit_mailbox("urp", "INBOX", UidValidity(7), 2).expect("visit");
        assert_eq!(cp, Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(0) });
        let r = s
            .write_batch(
                run,
                &[msg("a", 1, "INBOX"), msg("b", 2, "INBOX")],
                Some(("urp", "INBOX", Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(2) })),
            )
            .expect("write");
        assert_eq!(r, BatchResult { inserted: 2, duplicates: 0 });
        // The same message in a second mailbox, and a re-run: counted once.
        let r = s.write_batch(run, &[msg("a", 9, "PEC"), msg("a", 1, "INBOX")], None).expect("write");
        assert_eq!(r, BatchResult { inserted: 0, duplicates: 2 });
        assert_eq!(s.message_count().expect("count"), 2);
        assert_eq!(
            s.checkpoint("urp", "INBOX").expect("cp"),
            Some(Checkpoint { uidvalidity: UidValidity(7), last_uid: Uid(2) })
        );
        // UIDVALIDITY change restarts the checkpoint.
        assert_eq!(
            s.visit_mailbox("urp", "INBOX", UidValidity(8), 2).expect("visit"),
            Checkpoint { uidvalidity: UidValidity(8), last_uid: Uid(0) }
        );
        let counts = s.counts().expect("counts");
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].count, 2);
        drop(s);
        let ro = Store::open_readonly(&path).expect("read-only");
        assert_eq!(ro.message_count().expect("count"), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}

/// A stored message as the review report shows it.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub content_key: String,
    pub message_date: Option<String>,
    pub channel: String,
    pub status: String,
    pub topic: String,
    pub confidence: f64,
    pub decided_by: String,
    pub review: bool,
    pub review_reasons: String,
    pub tipologia: Option<String>,
    pub exclusion: Option<String>,
    pub exclusion_strong: Option<bool>,
    pub snippet: Option<String>,
    pub sender_domain: Option<String>,
    pub explanation: Option<String>,
    pub location: Option<Location>,
    pub model_version: Option<String>,
}

/// One correction to apply.
#[derive(Debug, Clone)]
pub struct Correction {
    pub content_key: String,
    pub new_topic: String,
    pub tipologia: Option<String>,
    pub note: Option<String>,
}

/// A correction as applied (for the model update and the summary).
#[derive(Debug, Clone)]
pub struct Applied {
    pub message_id: i64,
    pub content_key: String,
    pub kind: &'static str,
    pub old_topic: String,
    pub new_topic: String,
    pub location: Option<Location>,
}

const REVIEW_COLUMNS: &str = "m.id, m.content_key, m.message_date, m.channel, m.status, m.topic, m.confidence, m.decided_by,
    m.review, m.review_reasons, m.tipologia, m.exclusion, m.exclusion_strong, m.snippet, m.sender_domain, m.explanation,
    l.account, l.mailbox, l.uidvalidity, l.uid, m.model_version";

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRow> {
    let account: Option<String> = r.get(16)?;
    Ok(ReviewRow {
        id: r.get(0)?,
        content_key: r.get(1)?,
        message_date: r.get(2)?,
        channel: r.get(3)?,
        status: r.get(4)?,
        topic: r.get(5)?,
        confidence: r.get(6)?,
        decided_by: r.get(7)?,
        review: r.get(8)?,
        review_reasons: r.get(9)?,
        tipologia: r.get(10)?,
        exclusion: r.get(11)?,
        exclusion_strong: r.get(12)?,
        snippet: r.get(13)?,
        sender_domain: r.get(14)?,
        explanation: r.get(15)?,
        location: match account {
            Some(account) => Some(location_from_columns(account, r.get(17)?, r.get(18)?, r.get(19)?)),
            None => None,
        },
        model_version: r.get(20)?,
    })
}

impl Store {
    /// Messages worth a human look, not yet reviewed: flagged decisions, the residual topic,
    /// and exclusions decided by a heuristic only. Oldest first.
    pub fn doubtful(&self, since: Option<&str>, until: Option<&str>) -> Result<Vec<ReviewRow>, StoreError> {
        self.review_query(
            "m.reviewed = 0 AND ((m.status = 'classified' AND (m.review = 1 OR m.decided_by = 'fallback'))
               OR (m.status = 'excluded' AND m.exclusion_strong = 0))",
            since,
            until,
        )
    }

    /// Confident, unreviewed decisions (for the quality-control sample).
    pub fn confident(&self, since: Option<&str>, until: Option<&str>) -> Result<Vec<ReviewRow>, StoreError> {
        self.review_query(
            "m.reviewed = 0 AND m.status = 'classified' AND m.review = 0 AND m.decided_by != 'fallback'",
            since,
            until,
        )
    }

    fn review_query(
        &self,
        cond: &str,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<ReviewRow>, StoreError> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM messages m
             LEFT JOIN locations l ON l.rowid = (SELECT MIN(rowid) FROM locations WHERE message_id = m.id)
             WHERE {cond} AND (?1 IS NULL OR substr(m.message_date, 1, 10) >= ?1)
               AND (?2 IS NULL OR substr(m.message_date, 1, 10) <= ?2)
             ORDER BY m.message_date, m.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![since, until], review_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages by content key (unknown keys are simply absent).
    pub fn by_keys(&self, keys: &[String]) -> Result<Vec<ReviewRow>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM messages m
             LEFT JOIN locations l ON l.rowid = (SELECT MIN(rowid) FROM locations WHERE message_id = m.id)
             WHERE m.content_key = ?1"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        for k in keys {
            if let Some(r) = stmt.query_row(params![k], review_row).optional()? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Applies a review file's corrections in one transaction, with an audit row each.
    /// Returns the batch id and what was applied.
    pub fn apply_corrections(
        &mut self,
        reviewer: &str,
        file: &str,
        model_before: Option<&str>,
        items: &[Correction],
    ) -> Result<(i64, Vec<Applied>), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO correction_batches (applied_at, reviewer, file, model_before) VALUES (?1, ?2, ?3, ?4)",
            params![now_rfc3339(), reviewer, file, model_before],
        )?;
        let batch = tx.last_insert_rowid();
        let mut applied = Vec::with_capacity(items.len());
        for c in items {
            let (id, topic, status, decided_by, review, tipologia, year): (i64, String, String, String, bool, Option<String>, Option<i32>) =
                tx.query_row(
                    "SELECT id, topic, status, decided_by, review, tipologia, year FROM messages WHERE content_key = ?1",
                    params![c.content_key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                )?;
            let kind =
                if topic == c.new_topic && status == "classified" { "confirmation" } else { "correction" };
            tx.execute(
                "INSERT INTO corrections (batch_id, message_id, kind, old_topic, new_topic, old_status, old_decided_by, old_review,
                   old_tipologia, new_tipologia, note, year) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![batch, id, kind, topic, c.new_topic, status, decided_by, review, tipologia, c.tipologia.clone().or(tipologia.clone()), c.note, year],
            )?;
            tx.execute(
                "UPDATE messages SET topic = ?2, status = 'classified', decided_by = 'staff', review = 0, reviewed = 1,
                   review_reasons = '', tipologia = COALESCE(?3, tipologia) WHERE id = ?1",
                params![id, c.new_topic, c.tipologia],
            )?;
            let location = tx
                .query_row(
                    "SELECT account, mailbox, uidvalidity, uid FROM locations WHERE message_id = ?1 ORDER BY rowid LIMIT 1",
                    params![id],
                    |r| Ok(location_from_columns(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            applied.push(Applied {
                message_id: id,
                content_key: c.content_key.clone(),
                kind,
                old_topic: topic,
                new_topic: c.new_topic.clone(),
                location,
            });
        }
        tx.commit()?;
        Ok((batch, applied))
    }

    /// Records the model a batch produced and which corrections trained it.
    pub fn finish_batch(
        &mut self,
        batch: i64,
        model_after: Option<&str>,
        trained: &[i64],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE correction_batches SET model_after = ?2 WHERE id = ?1",
            params![batch, model_after],
        )?;
        for id in trained {
            tx.execute(
                "UPDATE corrections SET trained = 1 WHERE batch_id = ?1 AND message_id = ?2",
                params![batch, id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Undoes a correction batch: every message gets back its topic, status and flags.
    pub fn undo_batch(&mut self, batch: i64) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let undone: Option<Option<String>> = tx
            .query_row("SELECT undone_at FROM correction_batches WHERE id = ?1", params![batch], |r| r.get(0))
            .optional()?;
        match undone {
            None => {
                return Err(StoreError::Io {
                    path: self.path.clone(),
                    message: format!("no correction batch {batch}"),
                });
            }
            Some(Some(at)) => {
                return Err(StoreError::Io {
                    path: self.path.clone(),
                    message: format!("correction batch {batch} was already undone at {at}"),
                });
            }
            Some(None) => {}
        }
        let n = tx.execute(
            "UPDATE messages SET
               topic = (SELECT old_topic FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
               status = (SELECT old_status FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
               decided_by = (SELECT old_decided_by FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
               review = (SELECT old_review FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
               tipologia = (SELECT old_tipologia FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
               reviewed = 0
             WHERE id IN (SELECT message_id FROM corrections WHERE batch_id = ?1)",
            params![batch],
        )? as u64;
        tx.execute(
            "UPDATE correction_batches SET undone_at = ?2 WHERE id = ?1",
            params![batch, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Reviewed decisions per predicted topic for accuracy: (topic the system gave, was it right).
    pub fn reviewed_outcomes(&self, year: Option<i32>) -> Result<Vec<(String, bool)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.old_topic, c.kind FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
             WHERE b.undone_at IS NULL AND c.old_status = 'classified' AND (?1 IS NULL OR c.year = ?1)",
        )?;
        let rows = stmt.query_map(params![year], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)? == "confirmation"))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a theme table written to a file.
    pub fn record_export(&mut self, year: i32, file: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO exports (year, exported_at, file) VALUES (?1, ?2, ?3)",
            params![year, now_rfc3339(), file],
        )?;
        Ok(())
    }

    /// Corrections applied to a year's messages after its last export: (export time, corrections).
    pub fn changes_since_export(&self, year: i32) -> Result<Option<(String, u64)>, StoreError> {
        let last: Option<String> = self.conn.query_row(
            "SELECT MAX(exported_at) FROM exports WHERE year = ?1",
            params![year],
            |r| r.get(0),
        )?;
        let Some(at) = last else { return Ok(None) };
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
             WHERE c.year = ?1 AND c.kind = 'correction' AND b.applied_at > ?2",
            params![year, at],
            |r| r.get(0),
        )?;
        Ok(Some((at, n as u64)))
    }
}
