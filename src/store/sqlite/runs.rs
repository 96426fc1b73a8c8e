//! The run ledger: one row per `poll`, `ingest` or `demo` run, with its totals.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, now_rfc3339};
use crate::store::{RunRecord, RunStatus, RunTotals, StoreError};

impl Sqlite {
    /// `Store::begin_run` on SQLite.
    pub(crate) fn begin_run(&mut self, kind: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO runs (kind, started_at, status) VALUES (?1, ?2, 'running')",
            params![kind, now_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// `Store::finish_run` on SQLite.
    pub(crate) fn finish_run(
        &mut self,
        run: i64,
        totals: &RunTotals,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            include_str!("sql/finish_run.sql"),
            params![
                run,
                now_rfc3339(),
                status.as_str(),
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

    /// `Store::last_run` on SQLite.
    pub(crate) fn last_run(&self) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(include_str!("sql/last_run.sql"), [], |r| {
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
            })
            .optional()?)
    }

    /// `Store::close_stale_runs` on SQLite.
    pub(crate) fn close_stale_runs(&mut self) -> Result<u64, StoreError> {
        Ok(self.conn.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
            params![now_rfc3339()],
        )? as u64)
    }
}
