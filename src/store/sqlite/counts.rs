//! The counts behind the theme tables and `status`: live rows plus the aggregates of pruned ones.

use rusqlite::params;

use super::{Sqlite, now_rfc3339};
use crate::store::{CountRow, MailboxState, StoreError};

impl Sqlite {
    /// `Store::counts` on SQLite.
    pub(crate) fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        // Live rows plus the aggregates of pruned ones (retention keeps the counts).
        let mut stmt = self.conn.prepare(include_str!("sql/counts.sql"))?;
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

    /// `Store::mailboxes` on SQLite.
    pub(crate) fn mailboxes(&self) -> Result<Vec<MailboxState>, StoreError> {
        // A store of an older schema read without migrating (status next to an older daemon)
        // has no sync columns yet.
        let sql = if self.user_version()? < 7 {
            "SELECT account, mailbox, uidvalidity, last_uid, exists_count, updated_at, NULL, NULL, NULL
             FROM checkpoints ORDER BY 1, 2"
        } else {
            include_str!("sql/mailboxes.sql")
        };
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(MailboxState {
                account: r.get(0)?,
                mailbox: r.get(1)?,
                uidvalidity: r.get::<_, i64>(2)? as u32,
                last_uid: r.get::<_, i64>(3)? as u32,
                exists: r.get::<_, Option<i64>>(4)?.map(|x| x as u64),
                updated_at: r.get(5)?,
                synced_at: r.get(6)?,
                last_error: r.get(7)?,
                last_error_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `Store::record_mailbox_sync` on SQLite.
    pub(crate) fn record_mailbox_sync(
        &mut self,
        account: &str,
        mailbox: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_rfc3339();
        match error {
            None => self.conn.execute(
                "UPDATE checkpoints SET synced_at = ?3 WHERE account = ?1 AND mailbox = ?2",
                params![account, mailbox, now],
            )?,
            Some(e) => self.conn.execute(
                "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, updated_at, last_error, last_error_at)
                 VALUES (?1, ?2, 0, 0, ?3, ?4, ?3)
                 ON CONFLICT (account, mailbox) DO UPDATE SET last_error = ?4, last_error_at = ?3",
                params![account, mailbox, now, e],
            )?,
        };
        Ok(())
    }

    /// `Store::located` on SQLite.
    pub(crate) fn located(&self, account: &str, mailbox: &str, uidvalidity: u32) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM locations WHERE account = ?1 AND mailbox = ?2 AND uidvalidity = ?3",
            params![account, mailbox, uidvalidity as i64],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// `Store::decision_versions` on SQLite.
    pub(crate) fn decision_versions(&self) -> Result<(Option<String>, Option<String>), StoreError> {
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

    /// `Store::message_count` on SQLite.
    pub(crate) fn message_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM messages) + (SELECT COALESCE(SUM(count), 0) FROM aggregates)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}
