//! Checkpoints and the batch write: decisions, new locations and the checkpoint in one
//! transaction.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, join_reasons, location_columns, now_rfc3339};
use crate::domain::{DecidedBy, Uid, UidValidity};
use crate::store::columns::visited;
use crate::store::{Advance, BatchResult, Checkpoint, Lease, LeaseState, StoreError, StoredMessage};

impl Sqlite {
    /// `Store::checkpoint` on SQLite.
    pub(crate) fn checkpoint(&self, account: &str, mailbox: &str) -> Result<Option<Checkpoint>, StoreError> {
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

    /// `Store::visit_mailbox` on SQLite.
    pub(crate) fn visit_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        uidvalidity: UidValidity,
        exists: u64,
        _lease: Option<&Lease>,
    ) -> Result<Checkpoint, StoreError> {
        let current = self.checkpoint(account, mailbox)?;
        let cp = visited(current, uidvalidity, account, mailbox);
        self.conn.execute(
            include_str!("sql/visit_mailbox.sql"),
            params![
                account,
                mailbox,
                i64::from(cp.uidvalidity.0),
                i64::from(cp.last_uid.0),
                exists as i64,
                now_rfc3339()
            ],
        )?;
        Ok(cp)
    }

    /// `Store::claim_mailbox` on SQLite: one writer, every claim granted.
    pub(crate) fn claim_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        Ok(Some(Lease {
            account: account.into(),
            mailbox: mailbox.into(),
            holder: holder.into(),
            token: 0,
            ttl,
            claimed_at: now_micros(),
        }))
    }

    /// `Store::release_mailbox` on SQLite: nothing to give back.
    pub(crate) fn release_mailbox(&mut self, _lease: &Lease) -> Result<Option<String>, StoreError> {
        Ok(Some(now_micros()))
    }

    /// `Store::leases` on SQLite: none.
    pub(crate) fn leases(&self) -> Result<Vec<LeaseState>, StoreError> {
        Ok(Vec::new())
    }

    /// `Store::write_batch` on SQLite.
    pub(crate) fn write_batch(
        &mut self,
        run: i64,
        messages: &[StoredMessage],
        advance: Option<Advance<'_>>,
    ) -> Result<BatchResult, StoreError> {
        let tx = self.conn.transaction()?;
        let mut result = BatchResult::default();
        {
            let mut insert = tx.prepare_cached(include_str!("sql/insert_message.sql"))?;
            let mut find = tx.prepare_cached("SELECT id FROM messages WHERE content_key = ?1")?;
            let mut was_pruned = tx.prepare_cached("SELECT 1 FROM pruned WHERE content_key = ?1")?;
            let mut locate = tx.prepare_cached(include_str!("sql/insert_location.sql"))?;
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
                    m.channel.as_str(),
                    m.status.as_str(),
                    m.topic,
                    m.confidence,
                    m.decided_by.map(DecidedBy::as_str),
                    m.review,
                    join_reasons(&m.review_reasons),
                    m.tipologia,
                    m.exclusion.map(|(r, _)| r.as_str()),
                    m.exclusion.map(|(_, strong)| strong),
                    m.skip.as_ref().map(ToString::to_string),
                    m.taxonomy,
                    m.rules_version,
                    m.model_version,
                    m.snippet,
                    run,
                    now,
                    m.sender_domain,
                    m.explanation,
                    m.skip.as_ref().map(|r| r.kind().as_str())
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
        if let Some(Advance { account, mailbox, checkpoint: cp, .. }) = advance {
            tx.execute(
                include_str!("sql/advance_checkpoint.sql"),
                params![
                    account,
                    mailbox,
                    i64::from(cp.uidvalidity.0),
                    i64::from(cp.last_uid.0),
                    now_rfc3339()
                ],
            )?;
        }
        tx.commit()?;
        Ok(result)
    }
}

/// Now with microseconds, as a claim's time.
fn now_micros() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc().format(&fmt).unwrap_or_default()
}
