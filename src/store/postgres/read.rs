//! What `status` and the theme tables read (counts with the aggregates of pruned rows, runs,
//! mailboxes, versions), `report messages` rows, and retention. Orderings name the C collation
//! and NULLS FIRST, so rows come in the SQLite store's order whatever the database's locale.

use super::{FIRST_LOCATION, Postgres, col, joined_location, status};
use crate::store::{CountRow, MailboxState, MessageRow, RunRecord, StoreError};

impl Postgres {
    /// `Store::counts` on PostgreSQL.
    pub(crate) fn counts(&self) -> Result<Vec<CountRow>, StoreError> {
        let rows = self.client()?.query(
            r#"SELECT year, month, channel, status, key, SUM(n)::bigint, SUM(rv)::bigint, tipologia FROM (
                SELECT year, month, channel, status,
                  CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE skip_kind END AS key,
                  COUNT(*) AS n, SUM(review::int)::bigint AS rv, tipologia
                FROM messages GROUP BY 1, 2, 3, 4, 5, 8
                UNION ALL
                SELECT year, month, channel, status, key, count, review, tipologia FROM aggregates) t
              GROUP BY 1, 2, 3, 4, 5, 8
              ORDER BY 1 NULLS FIRST, 2 NULLS FIRST, 3, 4, 5 NULLS FIRST,
                8 NULLS FIRST"#,
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(CountRow {
                    year: col(r, 0)?,
                    month: col::<Option<i32>>(r, 1)?.map(|m| m as u8),
                    channel: col(r, 2)?,
                    status: status(r, 3)?,
                    key: col::<Option<String>>(r, 4)?.unwrap_or_default(),
                    count: col::<i64>(r, 5)? as u64,
                    review: col::<Option<i64>>(r, 6)?.unwrap_or(0) as u64,
                    tipologia: col(r, 7)?,
                })
            })
            .collect()
    }

    /// `Store::mailboxes` on PostgreSQL.
    pub(crate) fn mailboxes(&self) -> Result<Vec<MailboxState>, StoreError> {
        let rows = self.client()?.query(
            r#"SELECT account, mailbox, uidvalidity, last_uid, exists_count, updated_at, synced_at, last_error,
                last_error_at FROM checkpoints ORDER BY 1, 2"#,
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(MailboxState {
                    account: col(r, 0)?,
                    mailbox: col(r, 1)?,
                    uidvalidity: col::<i64>(r, 2)? as u32,
                    last_uid: col::<i64>(r, 3)? as u32,
                    exists: col::<Option<i64>>(r, 4)?.map(|x| x as u64),
                    updated_at: col(r, 5)?,
                    synced_at: col(r, 6)?,
                    last_error: col(r, 7)?,
                    last_error_at: col(r, 8)?,
                })
            })
            .collect()
    }

    /// `Store::last_run` on PostgreSQL.
    pub(crate) fn last_run(&self) -> Result<Option<RunRecord>, StoreError> {
        let row = self.client()?.query_opt(
            "SELECT id, kind, started_at, finished_at, status, fetched, classified, excluded, skipped, duplicates,
                errors, error FROM runs ORDER BY id DESC LIMIT 1",
            &[],
        )?;
        row.map(|r| {
            Ok(RunRecord {
                id: col(&r, 0)?,
                kind: col(&r, 1)?,
                started_at: col(&r, 2)?,
                finished_at: col(&r, 3)?,
                status: col(&r, 4)?,
                fetched: col::<i64>(&r, 5)? as u64,
                classified: col::<i64>(&r, 6)? as u64,
                excluded: serde_json::from_str(&col::<String>(&r, 7)?).unwrap_or_default(),
                skipped: serde_json::from_str(&col::<String>(&r, 8)?).unwrap_or_default(),
                duplicates: col::<i64>(&r, 9)? as u64,
                errors: col::<i64>(&r, 10)? as u64,
                error: col(&r, 11)?,
            })
        })
        .transpose()
    }

    /// `Store::located` on PostgreSQL.
    pub(crate) fn located(&self, account: &str, mailbox: &str, uidvalidity: u32) -> Result<u64, StoreError> {
        let row = self.client()?.query_one(
            "SELECT COUNT(*) FROM locations WHERE account = $1 AND mailbox = $2 AND uidvalidity = $3",
            &[&account, &mailbox, &i64::from(uidvalidity)],
        )?;
        Ok(col::<i64>(&row, 0)? as u64)
    }

    /// `Store::decision_versions` on PostgreSQL.
    pub(crate) fn decision_versions(&self) -> Result<(Option<String>, Option<String>), StoreError> {
        let list = |column: &str| -> Result<Option<String>, StoreError> {
            let rows = self.client()?.query(
                &format!(
                    r#"SELECT {column}, COUNT(*) FROM messages WHERE {column} IS NOT NULL GROUP BY 1
                       ORDER BY 2 DESC, 1"#
                ),
                &[],
            )?;
            let v = rows
                .iter()
                .map(|r| Ok((col::<String>(r, 0)?, col::<i64>(r, 1)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(match v.len() {
                0 => None,
                1 => Some(v[0].0.clone()),
                _ => Some(v.iter().map(|(s, n)| format!("{s} ({n})")).collect::<Vec<_>>().join(", ")),
            })
        };
        Ok((list("rules_version")?, list("model_version")?))
    }

    /// `Store::message_count` on PostgreSQL.
    pub(crate) fn message_count(&self) -> Result<u64, StoreError> {
        let row = self.client()?.query_one(
            "SELECT (SELECT COUNT(*) FROM messages) + (SELECT COALESCE(SUM(count), 0) FROM aggregates)::bigint",
            &[],
        )?;
        Ok(col::<i64>(&row, 0)? as u64)
    }

    /// `Store::message_rows` on PostgreSQL.
    pub(crate) fn message_rows(&self, year: Option<i32>) -> Result<Vec<MessageRow>, StoreError> {
        let rows = self.client()?.query(
            &format!(
                "SELECT m.id, l.account, l.mailbox, l.uidvalidity, l.uid, m.message_date, m.year, m.channel,
                    m.status, m.topic, m.confidence, m.decided_by, m.reviewed, m.model_version, m.run_id
                 FROM messages m {FIRST_LOCATION}
                 WHERE ($1::int IS NULL OR m.year = $1) ORDER BY m.id"
            ),
            &[&year],
        )?;
        rows.iter()
            .map(|r| {
                Ok(MessageRow {
                    id: col(r, 0)?,
                    location: joined_location(r, 1)?.map(|l| l.to_string()),
                    date: col(r, 5)?,
                    year: col(r, 6)?,
                    channel: col(r, 7)?,
                    status: status(r, 8)?.as_str().to_string(),
                    topic: col(r, 9)?,
                    confidence: col(r, 10)?,
                    decided_by: col(r, 11)?,
                    reviewed: col(r, 12)?,
                    model_version: col(r, 13)?,
                    run: col(r, 14)?,
                })
            })
            .collect()
    }

    /// `Store::prune` on PostgreSQL.
    pub(crate) fn prune(&mut self, cutoff: &str, snippets_only: bool) -> Result<(u64, u64), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let old = "message_date IS NOT NULL AND substr(message_date, 1, 10) < $1";
        let snippets = tx.execute(
            &format!("UPDATE messages SET snippet = NULL WHERE snippet IS NOT NULL AND {old}"),
            &[&cutoff],
        )?;
        let mut rows = 0;
        if !snippets_only {
            tx.execute(
                &format!(
                    "INSERT INTO aggregates (year, month, channel, status, key, tipologia, count, review)
                     SELECT year, month, channel, status,
                       CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE skip_kind END,
                       tipologia, COUNT(*), SUM(review::int)
                     FROM messages WHERE {old} GROUP BY 1, 2, 3, 4, 5, 6"
                ),
                &[&cutoff],
            )?;
            tx.execute(
                &format!(
                    "INSERT INTO pruned (content_key) SELECT content_key FROM messages WHERE {old}
                     ON CONFLICT DO NOTHING"
                ),
                &[&cutoff],
            )?;
            let ids = format!("SELECT id FROM messages WHERE {old}");
            for table in ["corrections", "reclassified", "locations"] {
                tx.execute(&format!("DELETE FROM {table} WHERE message_id IN ({ids})"), &[&cutoff])?;
            }
            rows = tx.execute(&format!("DELETE FROM messages WHERE {old}"), &[&cutoff])?;
        }
        tx.commit()?;
        Ok((snippets, rows))
    }
}
