//! The store: one row per distinct message (decision, versions, no bodies), where each was seen,
//! a checkpoint per watched mailbox, a ledger of runs, staff corrections with their audit trail,
//! and the aggregates of pruned rows.
//!
//! Idempotence: messages are keyed by their content key; writing a batch inserts new messages,
//! records new locations of known ones (duplicates) and advances the checkpoint, all in one
//! transaction. A crash before commit loses nothing (the batch is fetched again); a re-run never
//! counts twice.
//!
//! The seam for backends: [`Store`] is what the rest of the program uses; each of its methods
//! dispatches on a private `Backend` enum to the backend that implements it: `sqlite` (the
//! embedded default, one file) or `postgres` (one database shared by many daemons). Each backend
//! is a module of its own with its SQL; row types (`types`), the shared column conversions
//! (`columns`) and errors are common, so both keep the same rows. A backend's library types
//! never leave its module (and `error`). Where a store lives is a [`StoreTarget`].

mod columns;
mod copy;
mod error;
mod postgres;
mod sqlite;
mod target;
mod types;

use crate::domain::UidValidity;

pub use copy::{Copied, copy};
pub use error::StoreError;
pub use target::{
    DEFAULT_PG_PORT, DEFAULT_PG_SCHEMA, PgPassword, PgTarget, PgTls, StoreTarget, ente_schema, is_url,
};
pub use types::{
    Advance, Applied, BatchModels, BatchResult, BatchUndo, Checkpoint, Correction, CountRow, DecisionColumns,
    Lease, LeaseState, Location, MailboxState, MessageRow, ModelRecord, Redecided, RedoRow, ReviewRow,
    RunRecord, RunStatus, RunTotals, StoredMessage,
};

/// An open store.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Calls the same method on whichever backend the store has.
macro_rules! on_backend {
    ($backend:expr, $db:ident => $call:expr) => {
        match $backend {
            Backend::Sqlite($db) => $call,
            Backend::Postgres($db) => $call,
        }
    };
}

impl Store {
    /// Opens (creating if needed) a store for writing and migrates it.
    pub fn open(target: &StoreTarget) -> Result<Store, StoreError> {
        let backend = match target {
            StoreTarget::File(path) => Backend::Sqlite(sqlite::Sqlite::open(path)?),
            StoreTarget::Postgres(pg) => Backend::Postgres(postgres::Postgres::open(pg)?),
        };
        Ok(Store { backend })
    }

    /// Opens an existing store read-only (status, reports): safe while the daemon writes.
    pub fn open_readonly(target: &StoreTarget) -> Result<Store, StoreError> {
        let backend = match target {
            StoreTarget::File(path) => Backend::Sqlite(sqlite::Sqlite::open_readonly(path)?),
            StoreTarget::Postgres(pg) => Backend::Postgres(postgres::Postgres::open_readonly(pg)?),
        };
        Ok(Store { backend })
    }

    /// Whether a store exists there yet (a file, or a database holding the store's tables).
    pub fn exists(target: &StoreTarget) -> Result<bool, StoreError> {
        match target {
            StoreTarget::File(path) => Ok(path.exists()),
            StoreTarget::Postgres(pg) => postgres::Postgres::exists(pg),
        }
    }

    /// Where this store lives.
    pub fn target(&self) -> &StoreTarget {
        on_backend!(&self.backend, db => db.target())
    }

    /// Starts a run in the ledger.
    pub fn begin_run(&mut self, kind: &str) -> Result<i64, StoreError> {
        on_backend!(&mut self.backend, db => db.begin_run(kind))
    }

    /// Closes a run in the ledger.
    pub fn finish_run(
        &mut self,
        run: i64,
        totals: &RunTotals,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.finish_run(run, totals, status, error))
    }

    /// The checkpoint of a mailbox.
    pub fn checkpoint(&self, account: &str, mailbox: &str) -> Result<Option<Checkpoint>, StoreError> {
        on_backend!(&self.backend, db => db.checkpoint(account, mailbox))
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
        lease: Option<&Lease>,
    ) -> Result<Checkpoint, StoreError> {
        on_backend!(&mut self.backend, db => db.visit_mailbox(account, mailbox, uidvalidity, exists, lease))
    }

    /// Claims a mailbox for this daemon (`holder`) for `ttl`: `None` when another daemon holds
    /// it. A SQLite store has one writer and always grants the claim.
    pub fn claim_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        on_backend!(&mut self.backend, db => db.claim_mailbox(account, mailbox, holder, ttl))
    }

    /// Gives a claim back, so another daemon may take the mailbox at once (a claim no longer
    /// this daemon's is left alone). Returns when it was released, by the store's clock (`None`:
    /// it was not this daemon's any more).
    pub fn release_mailbox(&mut self, lease: &Lease) -> Result<Option<String>, StoreError> {
        on_backend!(&mut self.backend, db => db.release_mailbox(lease))
    }

    /// The stores of the enti in the database `target` names (each its own schema `ente_ID`), in
    /// the order of their ids. A file holds one store: refused.
    pub fn enti_in(target: &StoreTarget) -> Result<Vec<StoreTarget>, StoreError> {
        match target {
            StoreTarget::File(p) => Err(StoreError::Io {
                store: p.display().to_string(),
                message:
                    "--all-enti reads the enti of a shared PostgreSQL database; a store file holds one ente"
                        .into(),
            }),
            StoreTarget::Postgres(pg) => Ok(postgres::Postgres::enti_schemas(pg)?
                .into_iter()
                .map(|schema| StoreTarget::Postgres(Box::new(PgTarget { schema, ..(**pg).clone() })))
                .collect()),
        }
    }

    /// The ente this store records (`[ente]` of the configuration that first wrote it).
    pub fn ente(&self) -> Result<Option<(String, String)>, StoreError> {
        on_backend!(&self.backend, db => db.ente())
    }

    /// Records the ente whose mail this store holds, or checks it is the one recorded (a new
    /// name is kept): a configuration of another ente is refused, so one comune's mail never
    /// lands in another's store.
    pub fn claim_ente(&mut self, id: &str, name: &str) -> Result<(), StoreError> {
        match self.ente()? {
            Some((known, _)) if known != id => Err(StoreError::OtherEnte {
                store: self.target().to_string(),
                recorded: known,
                configured: id.to_string(),
            }),
            Some((_, known_name)) if known_name == name => Ok(()),
            _ => on_backend!(&mut self.backend, db => db.set_ente(id, name)),
        }
    }

    /// The mailbox claims of the daemons sharing this store (none for SQLite).
    pub fn leases(&self) -> Result<Vec<LeaseState>, StoreError> {
        on_backend!(&self.backend, db => db.leases())
    }

    /// Writes a batch of decisions and, in the same transaction, advances the checkpoint. Under
    /// a lease, the transaction first checks the claim is still this daemon's and renews it;
    /// when it is not, nothing is written ([`StoreError::LeaseLost`]).
    pub fn write_batch(
        &mut self,
        run: i64,
        messages: &[StoredMessage],
        advance: Option<Advance<'_>>,
    ) -> Result<BatchResult, StoreError> {
        on_backend!(&mut self.backend, db => db.write_batch(run, messages, advance))
    }

    /// Counts grouped by year, month, channel, status and topic (or reason).
    pub fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        on_backend!(&self.backend, db => db.counts())
    }

    /// Checkpoints of all mailboxes.
    pub fn mailboxes(&self) -> Result<Vec<MailboxState>, StoreError> {
        on_backend!(&self.backend, db => db.mailboxes())
    }

    /// The most recent run, if any.
    pub fn last_run(&self) -> Result<Option<RunRecord>, StoreError> {
        on_backend!(&self.backend, db => db.last_run())
    }

    /// Records the end of a mailbox's sync: complete (`None`) or the error that stopped it.
    pub fn record_mailbox_sync(
        &mut self,
        account: &str,
        mailbox: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.record_mailbox_sync(account, mailbox, error))
    }

    /// Number of messages recorded at a mailbox under a UIDVALIDITY (for the backlog).
    pub fn located(&self, account: &str, mailbox: &str, uidvalidity: u32) -> Result<u64, StoreError> {
        on_backend!(&self.backend, db => db.located(account, mailbox, uidvalidity))
    }

    /// Rules and model versions behind the stored decisions, as "v1" or "v1, v2 (n)" lists.
    pub fn decision_versions(&self) -> Result<(Option<String>, Option<String>), StoreError> {
        on_backend!(&self.backend, db => db.decision_versions())
    }

    /// Retention: removes snippets of messages dated before `cutoff` (YYYY-MM-DD); unless
    /// `snippets_only`, folds those messages into the aggregate counts and deletes their rows,
    /// locations and audit rows, keeping only their content keys. Counts do not change.
    pub fn prune(&mut self, cutoff: &str, snippets_only: bool) -> Result<(u64, u64), StoreError> {
        on_backend!(&mut self.backend, db => db.prune(cutoff, snippets_only))
    }

    /// Number of distinct messages stored.
    pub fn message_count(&self) -> Result<u64, StoreError> {
        on_backend!(&self.backend, db => db.message_count())
    }

    /// Marks runs left `running` by a crash as `interrupted`.
    pub fn close_stale_runs(&mut self) -> Result<u64, StoreError> {
        on_backend!(&mut self.backend, db => db.close_stale_runs())
    }

    /// Messages worth a human look, not yet reviewed: flagged decisions, the residual topic,
    /// and exclusions decided by a heuristic only. Oldest first.
    pub fn doubtful(&self, since: Option<&str>, until: Option<&str>) -> Result<Vec<ReviewRow>, StoreError> {
        on_backend!(&self.backend, db => db.doubtful(since, until))
    }

    /// Confident, unreviewed decisions (for the quality-control sample).
    pub fn confident(&self, since: Option<&str>, until: Option<&str>) -> Result<Vec<ReviewRow>, StoreError> {
        on_backend!(&self.backend, db => db.confident(since, until))
    }

    /// Messages by content key (unknown keys are simply absent).
    pub fn by_keys(&self, keys: &[String]) -> Result<Vec<ReviewRow>, StoreError> {
        on_backend!(&self.backend, db => db.by_keys(keys))
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
        on_backend!(&mut self.backend, db => db.apply_corrections(reviewer, file, model_before, items))
    }

    /// Records the model a batch produced and which corrections trained it.
    pub fn finish_batch(
        &mut self,
        batch: i64,
        model_after: Option<&str>,
        trained: &[i64],
    ) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.finish_batch(batch, model_after, trained))
    }

    /// Undoes a correction batch: every message gets back its topic, status and flags. A batch
    /// that does not exist or was undone already changes nothing.
    pub fn undo_batch(&mut self, batch: i64) -> Result<BatchUndo, StoreError> {
        on_backend!(&mut self.backend, db => db.undo_batch(batch))
    }

    /// Reviewed decisions per predicted topic for accuracy: (topic the system gave, was it right).
    pub fn reviewed_outcomes(&self, year: Option<i32>) -> Result<Vec<(String, bool)>, StoreError> {
        on_backend!(&self.backend, db => db.reviewed_outcomes(year))
    }

    /// Records a theme table written to a file.
    pub fn record_export(&mut self, year: i32, file: &str) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.record_export(year, file))
    }

    /// Corrections applied to a year's messages after its last export: (export time, corrections).
    pub fn changes_since_export(&self, year: i32) -> Result<Option<(String, u64)>, StoreError> {
        on_backend!(&self.backend, db => db.changes_since_export(year))
    }

    /// Records a model this store learned and makes it the active one, in one transaction. A
    /// file store keeps the model in its file (`model.file`, written before); a database keeps
    /// `bytes` too, for the daemons of every machine.
    pub fn record_model(
        &mut self,
        model: &ModelRecord,
        bytes: &[u8],
        reason: &str,
    ) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.record_model(model, bytes, reason))
    }

    /// The bytes of a learned model kept in the store (`None` for a file store, whose models
    /// are files, and for a model removed by retention).
    pub fn model_bytes(&self, version: &str) -> Result<Option<Vec<u8>>, StoreError> {
        on_backend!(&self.backend, db => db.model_bytes(version))
    }

    /// Makes a learned model (by version) the active one, or with `None` goes back to the
    /// configured model.
    pub fn activate_model(&mut self, version: Option<&str>, reason: &str) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.activate_model(version, reason))
    }

    /// The learned model that decides for this store, if any.
    pub fn active_model(&self) -> Result<Option<ModelRecord>, StoreError> {
        on_backend!(&self.backend, db => db.active_model())
    }

    /// A learned model by version.
    pub fn model(&self, version: &str) -> Result<Option<ModelRecord>, StoreError> {
        on_backend!(&self.backend, db => db.model(version))
    }

    /// Every model this store learned, oldest first.
    pub fn learned_models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        on_backend!(&self.backend, db => db.learned_models())
    }

    /// Records that retention removed a learned model's file.
    pub fn forget_model_file(&mut self, version: &str) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.forget_model_file(version))
    }

    /// The model versions before and after a correction batch (`None`: no such batch).
    pub fn batch_models(&self, batch: i64) -> Result<Option<BatchModels>, StoreError> {
        on_backend!(&self.backend, db => db.batch_models(batch))
    }

    /// Records the model version a run decided with.
    pub fn set_run_model(&mut self, run: i64, version: Option<&str>) -> Result<(), StoreError> {
        on_backend!(&mut self.backend, db => db.set_run_model(run, version))
    }

    /// Unreviewed, not skipped decisions of a period, with where each message was first seen.
    pub fn redo_candidates(
        &self,
        since: Option<&str>,
        until: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<RedoRow>, StoreError> {
        on_backend!(&self.backend, db => db.redo_candidates(since, until, year))
    }

    /// Writes re-decided messages of a `reclassify` run in one transaction, keeping each old
    /// decision for the undo. A message reviewed meanwhile is left alone. Returns how many changed.
    pub fn apply_redecisions(&mut self, run: i64, changes: &[Redecided]) -> Result<u64, StoreError> {
        on_backend!(&mut self.backend, db => db.apply_redecisions(run, changes))
    }

    /// Undoes a `reclassify` run: (decisions restored, decisions left because staff reviewed them
    /// or a later run re-decided them).
    pub fn undo_reclassify(&mut self, run: i64) -> Result<(u64, u64), StoreError> {
        on_backend!(&mut self.backend, db => db.undo_reclassify(run))
    }

    /// A table's rows in order (`store copy`).
    pub(crate) fn read_table(&self, t: &copy::Table) -> Result<copy::Rows, StoreError> {
        on_backend!(&self.backend, db => db.read_table(t))
    }

    /// Writes whole tables with their ids in one transaction, and the learned models' bytes
    /// where the store keeps them (`store copy`, into an empty store).
    pub(crate) fn write_tables(
        &mut self,
        tables: &[(&copy::Table, copy::Rows)],
        bodies: &std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(db) => db.write_tables(tables),
            Backend::Postgres(db) => db.write_tables(tables, bodies),
        }
    }

    /// A table's row count (`store copy`'s check).
    pub(crate) fn count_rows(&self, t: &copy::Table) -> Result<u64, StoreError> {
        on_backend!(&self.backend, db => db.count_rows(t))
    }

    /// One row per stored message (of a year), for `report messages`.
    pub fn message_rows(&self, year: Option<i32>) -> Result<Vec<MessageRow>, StoreError> {
        on_backend!(&self.backend, db => db.message_rows(year))
    }
}
