//! `reclassify`: the unreviewed decisions to re-decide, the changes written in one transaction
//! with the decision before each, and their undo.

use postgres::Row;

use super::super::columns::{join_reasons, now_rfc3339, undoable};
use super::{FIRST_LOCATION, Postgres, col, joined_location, reasons, status};
use crate::store::{DecisionColumns, Redecided, RedoRow, StoreError};

/// The decision columns of `messages` (alias `m`), in [`decision_columns`] order.
const DECISION: &str =
    "m.status, m.topic, m.confidence, m.decided_by, m.review, m.review_reasons, m.tipologia,
    m.exclusion, m.exclusion_strong, m.rules_version, m.model_version, m.explanation";

fn decision_columns(r: &Row, at: usize) -> Result<DecisionColumns, StoreError> {
    Ok(DecisionColumns {
        status: status(r, at)?,
        topic: col(r, at + 1)?,
        confidence: col(r, at + 2)?,
        decided_by: col(r, at + 3)?,
        review: col(r, at + 4)?,
        review_reasons: reasons(r, at + 5)?,
        tipologia: col(r, at + 6)?,
        exclusion: col(r, at + 7)?,
        exclusion_strong: col(r, at + 8)?,
        rules_version: col(r, at + 9)?,
        model_version: col(r, at + 10)?,
        explanation: col(r, at + 11)?,
    })
}

impl Postgres {
    /// `Store::redo_candidates` on PostgreSQL.
    pub(crate) fn redo_candidates(
        &self,
        since: Option<&str>,
        until: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<RedoRow>, StoreError> {
        let rows = self.client()?.query(
            &format!(
                "SELECT m.id, m.content_key, m.year, l.account, l.mailbox, l.uidvalidity, l.uid, {DECISION}
                 FROM messages m {FIRST_LOCATION}
                 WHERE NOT m.reviewed AND m.status != 'skipped'
                   AND ($1::text IS NULL OR substr(m.message_date, 1, 10) >= $1)
                   AND ($2::text IS NULL OR substr(m.message_date, 1, 10) <= $2)
                   AND ($3::int IS NULL OR m.year = $3)
                 ORDER BY m.id"
            ),
            &[&since, &until, &year],
        )?;
        rows.iter()
            .map(|r| {
                Ok(RedoRow {
                    id: col(r, 0)?,
                    content_key: col(r, 1)?,
                    year: col(r, 2)?,
                    location: joined_location(r, 3)?,
                    decision: decision_columns(r, 7)?,
                })
            })
            .collect()
    }

    /// `Store::apply_redecisions` on PostgreSQL.
    pub(crate) fn apply_redecisions(&mut self, run: i64, changes: &[Redecided]) -> Result<u64, StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let save = tx.prepare(
            "INSERT INTO reclassified (run_id, message_id, year, old_status, old_topic, old_confidence,
                old_decided_by, old_review, old_review_reasons, old_tipologia, old_exclusion,
                old_exclusion_strong, old_rules_version, old_model_version, old_explanation, old_run_id,
                new_status, new_topic)
             SELECT $1, id, year, status, topic, confidence, decided_by, review, review_reasons, tipologia,
                exclusion, exclusion_strong, rules_version, model_version, explanation, run_id, $3, $4
             FROM messages WHERE id = $2 AND NOT reviewed FOR UPDATE",
        )?;
        let update = tx.prepare(
            "UPDATE messages SET status = $2, topic = $3, confidence = $4, decided_by = $5, review = $6,
                review_reasons = $7, tipologia = $8, exclusion = $9, exclusion_strong = $10,
                rules_version = $11, model_version = $12, explanation = $13, run_id = $14
             WHERE id = $1 AND NOT reviewed",
        )?;
        let mut n = 0;
        for c in changes {
            let d = &c.new;
            // A message reviewed since it was read keeps the staff's decision.
            if tx.execute(&save, &[&run, &c.id, &d.status.as_str(), &d.topic])? == 0 {
                continue;
            }
            tx.execute(
                &update,
                &[
                    &c.id,
                    &d.status.as_str(),
                    &d.topic,
                    &d.confidence,
                    &d.decided_by,
                    &d.review,
                    &join_reasons(&d.review_reasons),
                    &d.tipologia,
                    &d.exclusion,
                    &d.exclusion_strong,
                    &d.rules_version,
                    &d.model_version,
                    &d.explanation,
                    &run,
                ],
            )?;
            n += 1;
        }
        tx.commit()?;
        Ok(n)
    }

    /// `Store::undo_reclassify` on PostgreSQL.
    pub(crate) fn undo_reclassify(&mut self, run: i64) -> Result<(u64, u64), StoreError> {
        let store = self.target.to_string();
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let found = tx.query_opt("SELECT kind, undone_at FROM runs WHERE id = $1 FOR UPDATE", &[&run])?;
        let found = found
            .map(|r| Ok::<_, StoreError>((col::<String>(&r, 0)?, col::<Option<String>>(&r, 1)?)))
            .transpose()?;
        undoable(run, found).map_err(|message| StoreError::Io { store, message })?;
        // Restored only where nothing decided since: not reviewed by staff, not re-decided by a
        // later run.
        let restored = tx.execute(
            "UPDATE messages SET
                status = c.old_status, topic = c.old_topic, confidence = c.old_confidence,
                decided_by = c.old_decided_by, review = c.old_review, review_reasons = c.old_review_reasons,
                tipologia = c.old_tipologia, exclusion = c.old_exclusion, exclusion_strong = c.old_exclusion_strong,
                rules_version = c.old_rules_version, model_version = c.old_model_version,
                explanation = c.old_explanation, run_id = c.old_run_id
             FROM reclassified c
             WHERE c.run_id = $1 AND c.message_id = messages.id AND NOT messages.reviewed
               AND messages.run_id = $1",
            &[&run],
        )?;
        let total: i64 =
            col(&tx.query_one("SELECT COUNT(*) FROM reclassified WHERE run_id = $1", &[&run])?, 0)?;
        tx.execute("UPDATE runs SET undone_at = $2 WHERE id = $1", &[&run, &now_rfc3339()])?;
        tx.commit()?;
        Ok((restored, total as u64 - restored))
    }
}
