//! Review and corrections: the doubtful and confident decisions for the review file, corrections
//! applied with an audit row each, undo, accuracy from reviewed samples, export records.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, StoredReasons, joined_location, location_from_columns, now_rfc3339};
use crate::domain::Status;
use crate::store::{Applied, BatchUndo, Correction, ReviewRow, StoreError};

const REVIEW_COLUMNS: &str = "m.id, m.content_key, m.message_date, m.channel, m.status, m.topic, m.confidence, m.decided_by,
    m.review, m.review_reasons, m.tipologia, m.exclusion, m.exclusion_strong, m.snippet, m.sender_domain, m.explanation,
    l.account, l.mailbox, l.uidvalidity, l.uid, m.model_version";

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReviewRow> {
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
        review_reasons: r.get::<_, StoredReasons>(9)?.0,
        tipologia: r.get(10)?,
        exclusion: r.get(11)?,
        exclusion_strong: r.get(12)?,
        snippet: r.get(13)?,
        sender_domain: r.get(14)?,
        explanation: r.get(15)?,
        location: joined_location(r, 16)?,
        model_version: r.get(20)?,
    })
}

impl Sqlite {
    /// `Store::doubtful` on SQLite.
    pub(crate) fn doubtful(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<ReviewRow>, StoreError> {
        self.review_query(
            "m.reviewed = 0 AND ((m.status = 'classified' AND (m.review = 1 OR m.decided_by = 'fallback'))
               OR (m.status = 'excluded' AND m.exclusion_strong = 0))",
            since,
            until,
        )
    }

    /// `Store::confident` on SQLite.
    pub(crate) fn confident(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<ReviewRow>, StoreError> {
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

    /// `Store::by_keys` on SQLite.
    pub(crate) fn by_keys(&self, keys: &[String]) -> Result<Vec<ReviewRow>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM messages m
             LEFT JOIN locations l ON l.rowid = (SELECT MIN(rowid) FROM locations WHERE message_id = m.id)
             WHERE m.content_key = ?1 AND m.status != 'skipped'"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        for k in keys {
            if let Some(r) = stmt.query_row(params![k], review_row).optional()? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// `Store::apply_corrections` on SQLite.
    pub(crate) fn apply_corrections(
        &mut self,
        reviewer: &str,
        file: &str,
        model_before: Option<&str>,
        items: &[Correction],
    ) -> Result<(i64, Vec<Applied>), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            include_str!("sql/insert_correction_batch.sql"),
            params![now_rfc3339(), reviewer, file, model_before],
        )?;
        let batch = tx.last_insert_rowid();
        let mut applied = Vec::with_capacity(items.len());
        for c in items {
            type Target = (i64, String, Status, String, bool, Option<String>, Option<i32>, String, bool);
            let (id, topic, status, decided_by, review, tipologia, year, reasons, reviewed): Target = tx
                .query_row(include_str!("sql/correction_target.sql"), params![c.content_key], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                })?;
            // Applying the same review twice changes nothing: no second audit row (it would count
            // as a confirmation of the staff's own topic), no second training example.
            if reviewed
                && topic == c.new_topic
                && c.tipologia.as_ref().is_none_or(|t| Some(t) == tipologia.as_ref())
            {
                continue;
            }
            let kind = if topic == c.new_topic && status == Status::Classified {
                "confirmation"
            } else {
                "correction"
            };
            tx.execute(
                include_str!("sql/insert_correction.sql"),
                params![
                    batch,
                    id,
                    kind,
                    topic,
                    c.new_topic,
                    status.as_str(),
                    decided_by,
                    review,
                    tipologia,
                    c.tipologia.clone().or(tipologia.clone()),
                    c.note,
                    year,
                    reasons
                ],
            )?;
            tx.execute(include_str!("sql/apply_correction.sql"), params![id, c.new_topic, c.tipologia])?;
            let location = tx
                .query_row(include_str!("sql/first_location.sql"), params![id], |r| {
                    Ok(location_from_columns(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
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

    /// `Store::finish_batch` on SQLite.
    pub(crate) fn finish_batch(
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

    /// `Store::undo_batch` on SQLite.
    pub(crate) fn undo_batch(&mut self, batch: i64) -> Result<BatchUndo, StoreError> {
        let tx = self.conn.transaction()?;
        let undone: Option<Option<String>> = tx
            .query_row("SELECT undone_at FROM correction_batches WHERE id = ?1", params![batch], |r| r.get(0))
            .optional()?;
        match undone {
            None => return Ok(BatchUndo::NoSuchBatch),
            Some(Some(at)) => return Ok(BatchUndo::AlreadyUndone(at)),
            Some(None) => {}
        }
        let n = tx.execute(include_str!("sql/undo_corrections.sql"), params![batch])? as u64;
        tx.execute(
            "UPDATE correction_batches SET undone_at = ?2 WHERE id = ?1",
            params![batch, now_rfc3339()],
        )?;
        tx.commit()?;
        Ok(BatchUndo::Restored(n))
    }

    /// `Store::reviewed_outcomes` on SQLite.
    pub(crate) fn reviewed_outcomes(&self, year: Option<i32>) -> Result<Vec<(String, bool)>, StoreError> {
        let mut stmt = self.conn.prepare(include_str!("sql/reviewed_outcomes.sql"))?;
        let rows = stmt.query_map(params![year], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)? == "confirmation"))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `Store::record_export` on SQLite.
    pub(crate) fn record_export(&mut self, year: i32, file: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO exports (year, exported_at, file) VALUES (?1, ?2, ?3)",
            params![year, now_rfc3339(), file],
        )?;
        Ok(())
    }

    /// `Store::changes_since_export` on SQLite.
    pub(crate) fn changes_since_export(&self, year: i32) -> Result<Option<(String, u64)>, StoreError> {
        let last: Option<String> = self.conn.query_row(
            "SELECT MAX(exported_at) FROM exports WHERE year = ?1",
            params![year],
            |r| r.get(0),
        )?;
        let Some(at) = last else { return Ok(None) };
        let n: i64 =
            self.conn
                .query_row(include_str!("sql/changes_since_export.sql"), params![year, at], |r| r.get(0))?;
        Ok(Some((at, n as u64)))
    }
}
