//! `reclassify`: the unreviewed decisions to re-decide, the changes written in one transaction
//! with the decision before each, and their undo.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, StoredReasons, join_reasons, joined_location, now_rfc3339};
use crate::domain::Status;
use crate::store::columns::undoable;
use crate::store::{DecisionColumns, MessageRow, Redecided, RedoRow, StoreError};

/// The decision columns of `messages` (alias `m`), in [`decision_columns`] order.
const DECISION: &str =
    "m.status, m.topic, m.confidence, m.decided_by, m.review, m.review_reasons, m.tipologia,
    m.exclusion, m.exclusion_strong, m.rules_version, m.model_version, m.explanation";

fn decision_columns(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<DecisionColumns> {
    Ok(DecisionColumns {
        status: r.get(at)?,
        topic: r.get(at + 1)?,
        confidence: r.get(at + 2)?,
        decided_by: r.get(at + 3)?,
        review: r.get(at + 4)?,
        review_reasons: r.get::<_, StoredReasons>(at + 5)?.0,
        tipologia: r.get(at + 6)?,
        exclusion: r.get(at + 7)?,
        exclusion_strong: r.get(at + 8)?,
        rules_version: r.get(at + 9)?,
        model_version: r.get(at + 10)?,
        explanation: r.get(at + 11)?,
    })
}

/// The period filter on `m` (`?1` since, `?2` until as YYYY-MM-DD, `?3` year).
const PERIOD: &str = "(?1 IS NULL OR substr(m.message_date, 1, 10) >= ?1)
    AND (?2 IS NULL OR substr(m.message_date, 1, 10) <= ?2) AND (?3 IS NULL OR m.year = ?3)";

impl Sqlite {
    /// `Store::redo_candidates` on SQLite.
    pub(crate) fn redo_candidates(
        &self,
        since: Option<&str>,
        until: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<RedoRow>, StoreError> {
        let sql = format!(
            "SELECT m.id, m.content_key, m.year, l.account, l.mailbox, l.uidvalidity, l.uid, {DECISION}
             FROM messages m
             LEFT JOIN locations l ON l.rowid = (SELECT MIN(rowid) FROM locations WHERE message_id = m.id)
             WHERE m.reviewed = 0 AND m.status != 'skipped' AND {PERIOD}
             ORDER BY m.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![since, until, year], |r| {
            Ok(RedoRow {
                id: r.get(0)?,
                content_key: r.get(1)?,
                year: r.get(2)?,
                location: joined_location(r, 3)?,
                decision: decision_columns(r, 7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `Store::apply_redecisions` on SQLite.
    pub(crate) fn apply_redecisions(&mut self, run: i64, changes: &[Redecided]) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut save = tx.prepare_cached(
                "INSERT INTO reclassified (run_id, message_id, year, old_status, old_topic, old_confidence,
                    old_decided_by, old_review, old_review_reasons, old_tipologia, old_exclusion,
                    old_exclusion_strong, old_rules_version, old_model_version, old_explanation, old_run_id,
                    new_status, new_topic)
                 SELECT ?1, id, year, status, topic, confidence, decided_by, review, review_reasons, tipologia,
                    exclusion, exclusion_strong, rules_version, model_version, explanation, run_id, ?3, ?4
                 FROM messages WHERE id = ?2 AND reviewed = 0",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE messages SET status = ?2, topic = ?3, confidence = ?4, decided_by = ?5, review = ?6,
                    review_reasons = ?7, tipologia = ?8, exclusion = ?9, exclusion_strong = ?10,
                    rules_version = ?11, model_version = ?12, explanation = ?13, run_id = ?14
                 WHERE id = ?1 AND reviewed = 0",
            )?;
            for c in changes {
                let d = &c.new;
                // A message reviewed since it was read keeps the staff's decision.
                if save.execute(params![run, c.id, d.status.as_str(), d.topic])? == 0 {
                    continue;
                }
                update.execute(params![
                    c.id,
                    d.status.as_str(),
                    d.topic,
                    d.confidence,
                    d.decided_by,
                    d.review,
                    join_reasons(&d.review_reasons),
                    d.tipologia,
                    d.exclusion,
                    d.exclusion_strong,
                    d.rules_version,
                    d.model_version,
                    d.explanation,
                    run
                ])?;
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// `Store::undo_reclassify` on SQLite.
    pub(crate) fn undo_reclassify(&mut self, run: i64) -> Result<(u64, u64), StoreError> {
        let tx = self.conn.transaction()?;
        let found: Option<(String, Option<String>)> = tx
            .query_row("SELECT kind, undone_at FROM runs WHERE id = ?1", params![run], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        undoable(run, found)
            .map_err(|message| StoreError::Io { store: self.path.display().to_string(), message })?;
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
             WHERE c.run_id = ?1 AND c.message_id = messages.id AND messages.reviewed = 0
               AND messages.run_id = ?1",
            params![run],
        )? as u64;
        let total: i64 =
            tx.query_row("SELECT COUNT(*) FROM reclassified WHERE run_id = ?1", params![run], |r| r.get(0))?;
        tx.execute("UPDATE runs SET undone_at = ?2 WHERE id = ?1", params![run, now_rfc3339()])?;
        tx.commit()?;
        Ok((restored, total as u64 - restored))
    }

    /// `Store::message_rows` on SQLite.
    pub(crate) fn message_rows(&self, year: Option<i32>) -> Result<Vec<MessageRow>, StoreError> {
        let sql =
            "SELECT m.id, l.account, l.mailbox, l.uidvalidity, l.uid, m.message_date, m.year, m.channel,
                m.status, m.topic, m.confidence, m.decided_by, m.reviewed, m.model_version, m.run_id
             FROM messages m
             LEFT JOIN locations l ON l.rowid = (SELECT MIN(rowid) FROM locations WHERE message_id = m.id)
             WHERE (?1 IS NULL OR m.year = ?1) ORDER BY m.id";
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params![year], |r| {
            let status: Status = r.get(8)?;
            Ok(MessageRow {
                id: r.get(0)?,
                location: joined_location(r, 1)?.map(|l| l.to_string()),
                date: r.get(5)?,
                year: r.get(6)?,
                channel: r.get(7)?,
                status: status.as_str().to_string(),
                topic: r.get(9)?,
                confidence: r.get(10)?,
                decided_by: r.get(11)?,
                reviewed: r.get(12)?,
                model_version: r.get(13)?,
                run: r.get(14)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
