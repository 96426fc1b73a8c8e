//! Review and corrections: the doubtful and confident decisions for the review file, corrections
//! applied with an audit row each, undo, accuracy from the control sample, export records.

use postgres::Row;

use super::super::columns::{location_from_columns, now_rfc3339};
use super::{FIRST_LOCATION, Postgres, col, joined_location, reasons, status};
use crate::domain::Status;
use crate::store::{Applied, BatchUndo, Correction, ReviewRow, StoreError};

const REVIEW_COLUMNS: &str =
    "m.id, m.content_key, m.message_date, m.channel, m.status, m.topic, m.confidence,
    m.decided_by, m.review, m.review_reasons, m.tipologia, m.exclusion, m.exclusion_strong, m.snippet,
    m.sender_domain, m.explanation, l.account, l.mailbox, l.uidvalidity, l.uid, m.model_version";

fn review_row(r: &Row) -> Result<ReviewRow, StoreError> {
    Ok(ReviewRow {
        id: col(r, 0)?,
        content_key: col(r, 1)?,
        message_date: col(r, 2)?,
        channel: col(r, 3)?,
        status: status(r, 4)?,
        topic: col(r, 5)?,
        confidence: col(r, 6)?,
        decided_by: col(r, 7)?,
        review: col(r, 8)?,
        review_reasons: reasons(r, 9)?,
        tipologia: col(r, 10)?,
        exclusion: col(r, 11)?,
        exclusion_strong: col(r, 12)?,
        snippet: col(r, 13)?,
        sender_domain: col(r, 14)?,
        explanation: col(r, 15)?,
        location: joined_location(r, 16)?,
        model_version: col(r, 20)?,
    })
}

impl Postgres {
    /// `Store::doubtful` on PostgreSQL.
    pub(crate) fn doubtful(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<ReviewRow>, StoreError> {
        self.review_query(
            "NOT m.reviewed AND ((m.status = 'classified' AND (m.review OR m.decided_by = 'fallback'))
               OR (m.status = 'excluded' AND m.exclusion_strong = FALSE))",
            since,
            until,
        )
    }

    /// `Store::confident` on PostgreSQL.
    pub(crate) fn confident(
        &self,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Vec<ReviewRow>, StoreError> {
        self.review_query(
            "NOT m.reviewed AND m.status = 'classified' AND NOT m.review AND m.decided_by != 'fallback'",
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
            r#"SELECT {REVIEW_COLUMNS} FROM messages m {FIRST_LOCATION}
             WHERE {cond} AND ($1::text IS NULL OR substr(m.message_date, 1, 10) >= $1)
               AND ($2::text IS NULL OR substr(m.message_date, 1, 10) <= $2)
             ORDER BY m.message_date NULLS FIRST, m.id"#
        );
        let rows = self.client()?.query(&sql, &[&since, &until])?;
        rows.iter().map(review_row).collect()
    }

    /// `Store::by_keys` on PostgreSQL.
    pub(crate) fn by_keys(&self, keys: &[String]) -> Result<Vec<ReviewRow>, StoreError> {
        let mut conn = self.client()?;
        let stmt = conn.prepare(&format!(
            "SELECT {REVIEW_COLUMNS} FROM messages m {FIRST_LOCATION}
             WHERE m.content_key = $1 AND m.status != 'skipped'"
        ))?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(r) = conn.query_opt(&stmt, &[k])? {
                out.push(review_row(&r)?);
            }
        }
        Ok(out)
    }

    /// `Store::apply_corrections` on PostgreSQL.
    pub(crate) fn apply_corrections(
        &mut self,
        reviewer: &str,
        file: &str,
        model_before: Option<&str>,
        items: &[Correction],
    ) -> Result<(i64, Vec<Applied>), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let batch: i64 = col(
            &tx.query_one(
                "INSERT INTO correction_batches (applied_at, reviewer, file, model_before) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&now_rfc3339(), &reviewer, &file, &model_before],
            )?,
            0,
        )?;
        let mut applied = Vec::with_capacity(items.len());
        for c in items {
            // FOR UPDATE: a daemon re-deciding the message meanwhile waits for this transaction.
            let r = tx.query_one(
                "SELECT id, topic, status, decided_by, review, tipologia, year, review_reasons, reviewed FROM messages
                 WHERE content_key = $1 AND status != 'skipped' FOR UPDATE",
                &[&c.content_key],
            )?;
            let id: i64 = col(&r, 0)?;
            let topic: String = col(&r, 1)?;
            let old_status = status(&r, 2)?;
            let decided_by: String = col(&r, 3)?;
            let review: bool = col(&r, 4)?;
            let tipologia: Option<String> = col(&r, 5)?;
            let year: Option<i32> = col(&r, 6)?;
            let old_reasons: String = col(&r, 7)?;
            let reviewed: bool = col(&r, 8)?;
            // Applying the same review twice changes nothing: no second audit row (it would count
            // as a confirmation of the staff's own topic), no second training example.
            if reviewed
                && topic == c.new_topic
                && c.tipologia.as_ref().is_none_or(|t| Some(t) == tipologia.as_ref())
            {
                continue;
            }
            let kind = if topic == c.new_topic && old_status == Status::Classified {
                "confirmation"
            } else {
                "correction"
            };
            tx.execute(
                "INSERT INTO corrections (batch_id, message_id, kind, old_topic, new_topic, old_status, old_decided_by,
                    old_review, old_tipologia, new_tipologia, note, year, old_review_reasons)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &batch,
                    &id,
                    &kind,
                    &topic,
                    &c.new_topic,
                    &old_status.as_str(),
                    &decided_by,
                    &review,
                    &tipologia,
                    &c.tipologia.clone().or(tipologia.clone()),
                    &c.note,
                    &year,
                    &old_reasons,
                ],
            )?;
            tx.execute(
                "UPDATE messages SET topic = $2, status = 'classified', decided_by = 'staff', review = FALSE,
                    reviewed = TRUE, review_reasons = '', tipologia = COALESCE($3, tipologia) WHERE id = $1",
                &[&id, &c.new_topic, &c.tipologia],
            )?;
            let location = tx
                .query_opt(
                    "SELECT account, mailbox, uidvalidity, uid FROM locations WHERE message_id = $1 ORDER BY seq LIMIT 1",
                    &[&id],
                )?
                .map(|l| Ok::<_, StoreError>(location_from_columns(col(&l, 0)?, col(&l, 1)?, col(&l, 2)?, col(&l, 3)?)))
                .transpose()?;
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

    /// `Store::finish_batch` on PostgreSQL.
    pub(crate) fn finish_batch(
        &mut self,
        batch: i64,
        model_after: Option<&str>,
        trained: &[i64],
    ) -> Result<(), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        tx.execute("UPDATE correction_batches SET model_after = $2 WHERE id = $1", &[&batch, &model_after])?;
        tx.execute(
            "UPDATE corrections SET trained = TRUE WHERE batch_id = $1 AND message_id = ANY($2)",
            &[&batch, &trained],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `Store::undo_batch` on PostgreSQL.
    pub(crate) fn undo_batch(&mut self, batch: i64) -> Result<BatchUndo, StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let found =
            tx.query_opt("SELECT undone_at FROM correction_batches WHERE id = $1 FOR UPDATE", &[&batch])?;
        match found.map(|r| col::<Option<String>>(&r, 0)).transpose()? {
            None => return Ok(BatchUndo::NoSuchBatch),
            Some(Some(at)) => return Ok(BatchUndo::AlreadyUndone(at)),
            Some(None) => {}
        }
        let n = tx.execute(
            "UPDATE messages SET
                topic = c.old_topic, status = c.old_status, decided_by = c.old_decided_by, review = c.old_review,
                tipologia = c.old_tipologia, review_reasons = COALESCE(c.old_review_reasons, messages.review_reasons),
                reviewed = FALSE
             FROM corrections c WHERE c.batch_id = $1 AND c.message_id = messages.id",
            &[&batch],
        )?;
        tx.execute("UPDATE correction_batches SET undone_at = $2 WHERE id = $1", &[&batch, &now_rfc3339()])?;
        tx.commit()?;
        Ok(BatchUndo::Restored(n))
    }

    /// `Store::reviewed_outcomes` on PostgreSQL: the control sample alone (see the SQLite query).
    pub(crate) fn reviewed_outcomes(&self, year: Option<i32>) -> Result<Vec<(String, bool)>, StoreError> {
        let rows = self.client()?.query(
            "SELECT c.old_topic, c.kind FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
             WHERE b.undone_at IS NULL AND c.old_status = 'classified' AND NOT c.old_review
               AND c.old_decided_by NOT IN ('fallback', 'staff')
               AND ($1::int IS NULL OR c.year = $1)
             ORDER BY c.id",
            &[&year],
        )?;
        rows.iter().map(|r| Ok((col::<String>(r, 0)?, col::<String>(r, 1)? == "confirmation"))).collect()
    }

    /// `Store::record_export` on PostgreSQL.
    pub(crate) fn record_export(&mut self, year: i32, file: &str) -> Result<(), StoreError> {
        self.client()?.execute(
            "INSERT INTO exports (year, exported_at, file) VALUES ($1, $2, $3)",
            &[&year, &now_rfc3339(), &file],
        )?;
        Ok(())
    }

    /// `Store::changes_since_export` on PostgreSQL.
    pub(crate) fn changes_since_export(&self, year: i32) -> Result<Option<(String, u64)>, StoreError> {
        let mut conn = self.client()?;
        let last: Option<String> =
            col(&conn.query_one("SELECT MAX(exported_at) FROM exports WHERE year = $1", &[&year])?, 0)?;
        let Some(at) = last else { return Ok(None) };
        let n: i64 = col(
            &conn.query_one(
                "SELECT (SELECT COUNT(*) FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
                          WHERE c.year = $1 AND c.kind = 'correction' AND b.applied_at > $2)
                     + (SELECT COUNT(*) FROM reclassified c JOIN runs r ON r.id = c.run_id
                          WHERE c.year = $1 AND r.finished_at > $2 AND r.undone_at IS NULL
                            AND (c.old_status != c.new_status OR c.old_topic IS DISTINCT FROM c.new_topic))",
                &[&year, &at],
            )?,
            0,
        )?;
        Ok(Some((at, n as u64)))
    }
}
