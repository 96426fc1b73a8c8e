//! The run ledger, checkpoints and the batch write: decisions, new locations and the checkpoint
//! in one transaction. Content keys make a batch idempotent across daemons: a key another
//! daemon inserted meanwhile waits for its commit, then counts as a duplicate.

use super::super::columns::{join_reasons, location_columns, now_rfc3339};
use super::{Postgres, col};
use crate::domain::{DecidedBy, Uid, UidValidity};
use crate::store::{
    Advance, BatchResult, Checkpoint, Lease, LeaseState, RunStatus, RunTotals, StoreError, StoredMessage,
};

/// Checks a claim inside a transaction and renews it; `LeaseLost` names who holds it now. The
/// UPDATE locks the lease row, so a claim by another daemon waits for this transaction's end:
/// once it is taken over, no write of this daemon lands.
fn renew(tx: &mut postgres::Transaction<'_>, lease: &Lease) -> Result<(), StoreError> {
    let renewed = tx.execute(
        "UPDATE mailbox_leases SET expires_at = now() + make_interval(secs => $5)
         WHERE account = $1 AND mailbox = $2 AND holder = $3 AND token = $4",
        &[&lease.account, &lease.mailbox, &lease.holder, &lease.token, &lease.ttl.as_secs_f64()],
    )?;
    if renewed == 1 {
        return Ok(());
    }
    let now_held = tx
        .query_opt(
            "SELECT holder FROM mailbox_leases WHERE account = $1 AND mailbox = $2",
            &[&lease.account, &lease.mailbox],
        )?
        .map(|r| col::<String>(&r, 0))
        .transpose()?
        .unwrap_or_else(|| "nobody".into());
    Err(StoreError::LeaseLost {
        account: lease.account.clone(),
        mailbox: lease.mailbox.clone(),
        holder: now_held,
    })
}

impl Postgres {
    /// `Store::begin_run` on PostgreSQL.
    pub(crate) fn begin_run(&mut self, kind: &str) -> Result<i64, StoreError> {
        let row = self.client()?.query_one(
            "INSERT INTO runs (kind, started_at, status) VALUES ($1, $2, 'running') RETURNING id",
            &[&kind, &now_rfc3339()],
        )?;
        col(&row, 0)
    }

    /// `Store::finish_run` on PostgreSQL.
    pub(crate) fn finish_run(
        &mut self,
        run: i64,
        totals: &RunTotals,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.client()?.execute(
            "UPDATE runs SET finished_at = $2, status = $3, fetched = $4, classified = $5, excluded = $6,
                skipped = $7, duplicates = $8, errors = $9, error = $10 WHERE id = $1",
            &[
                &run,
                &now_rfc3339(),
                &status.as_str(),
                &(totals.fetched as i64),
                &(totals.classified as i64),
                &serde_json::to_string(&totals.excluded).unwrap_or_default(),
                &serde_json::to_string(&totals.skipped).unwrap_or_default(),
                &(totals.duplicates as i64),
                &(totals.errors as i64),
                &error,
            ],
        )?;
        Ok(())
    }

    /// `Store::close_stale_runs` on PostgreSQL.
    pub(crate) fn close_stale_runs(&mut self) -> Result<u64, StoreError> {
        Ok(self.client()?.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = $1 WHERE status = 'running'",
            &[&now_rfc3339()],
        )?)
    }

    /// `Store::set_run_model` on PostgreSQL.
    pub(crate) fn set_run_model(&mut self, run: i64, version: Option<&str>) -> Result<(), StoreError> {
        self.client()?.execute("UPDATE runs SET model_version = $2 WHERE id = $1", &[&run, &version])?;
        Ok(())
    }

    /// `Store::checkpoint` on PostgreSQL.
    pub(crate) fn checkpoint(&self, account: &str, mailbox: &str) -> Result<Option<Checkpoint>, StoreError> {
        let row = self.client()?.query_opt(
            "SELECT uidvalidity, last_uid FROM checkpoints WHERE account = $1 AND mailbox = $2",
            &[&account, &mailbox],
        )?;
        row.map(|r| {
            Ok(Checkpoint {
                uidvalidity: UidValidity(col::<i64>(&r, 0)? as u32),
                last_uid: Uid(col::<i64>(&r, 1)? as u32),
            })
        })
        .transpose()
    }

    /// `Store::visit_mailbox` on PostgreSQL.
    pub(crate) fn visit_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        uidvalidity: UidValidity,
        exists: u64,
        lease: Option<&Lease>,
    ) -> Result<Checkpoint, StoreError> {
        let cp = match self.checkpoint(account, mailbox)? {
            Some(c) if c.uidvalidity == uidvalidity => c,
            // A row written by a failed first visit (`record_mailbox_sync`): nothing recorded yet.
            Some(c) if c.uidvalidity.0 == 0 => Checkpoint { uidvalidity, last_uid: Uid(0) },
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
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        if let Some(lease) = lease {
            renew(&mut tx, lease)?;
        }
        tx.execute(
            "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, exists_count, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = $3, last_uid = $4, exists_count = $5,
                updated_at = $6",
            &[
                &account,
                &mailbox,
                &i64::from(cp.uidvalidity.0),
                &i64::from(cp.last_uid.0),
                &(exists as i64),
                &now_rfc3339(),
            ],
        )?;
        tx.commit()?;
        Ok(cp)
    }

    /// `Store::claim_mailbox` on PostgreSQL: takes the lease when nobody holds it, it expired,
    /// or this daemon held it already; the token counts the claims.
    pub(crate) fn claim_mailbox(
        &mut self,
        account: &str,
        mailbox: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let row = self.client()?.query_opt(
            "INSERT INTO mailbox_leases AS l (account, mailbox, holder, token, claimed_at, expires_at)
                VALUES ($1, $2, $3, 1, now(), now() + make_interval(secs => $4))
             ON CONFLICT (account, mailbox) DO UPDATE
                SET holder = EXCLUDED.holder, token = l.token + 1, claimed_at = now(),
                    expires_at = EXCLUDED.expires_at
                WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder
             RETURNING token",
            &[&account, &mailbox, &holder, &ttl.as_secs_f64()],
        )?;
        row.map(|r| {
            Ok(Lease {
                account: account.into(),
                mailbox: mailbox.into(),
                holder: holder.into(),
                token: col(&r, 0)?,
                ttl,
            })
        })
        .transpose()
    }

    /// `Store::release_mailbox` on PostgreSQL.
    pub(crate) fn release_mailbox(&mut self, lease: &Lease) -> Result<(), StoreError> {
        self.client()?.execute(
            "UPDATE mailbox_leases SET expires_at = now()
             WHERE account = $1 AND mailbox = $2 AND holder = $3 AND token = $4",
            &[&lease.account, &lease.mailbox, &lease.holder, &lease.token],
        )?;
        Ok(())
    }

    /// `Store::leases` on PostgreSQL.
    pub(crate) fn leases(&self) -> Result<Vec<LeaseState>, StoreError> {
        let rows = self.client()?.query(
            "SELECT account, mailbox, holder,
                to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), expires_at > now()
             FROM mailbox_leases ORDER BY 1, 2",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(LeaseState {
                    account: col(r, 0)?,
                    mailbox: col(r, 1)?,
                    holder: col(r, 2)?,
                    claimed_at: col(r, 3)?,
                    active: col(r, 4)?,
                })
            })
            .collect()
    }

    /// `Store::record_mailbox_sync` on PostgreSQL.
    pub(crate) fn record_mailbox_sync(
        &mut self,
        account: &str,
        mailbox: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_rfc3339();
        let mut c = self.client()?;
        match error {
            None => c.execute(
                "UPDATE checkpoints SET synced_at = $3 WHERE account = $1 AND mailbox = $2",
                &[&account, &mailbox, &now],
            )?,
            Some(e) => c.execute(
                "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, updated_at, last_error, last_error_at)
                 VALUES ($1, $2, 0, 0, $3, $4, $3)
                 ON CONFLICT (account, mailbox) DO UPDATE SET last_error = $4, last_error_at = $3",
                &[&account, &mailbox, &now, &e],
            )?,
        };
        Ok(())
    }

    /// `Store::write_batch` on PostgreSQL.
    pub(crate) fn write_batch(
        &mut self,
        run: i64,
        messages: &[StoredMessage],
        advance: Option<Advance<'_>>,
    ) -> Result<BatchResult, StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let mut result = BatchResult::default();
        if let Some(lease) = advance.and_then(|a| a.lease) {
            renew(&mut tx, lease)?;
        }
        let insert = tx.prepare(
            "INSERT INTO messages (content_key, message_date, date_source, year, month, channel, status, topic,
                confidence, decided_by, review, review_reasons, tipologia, exclusion, exclusion_strong, skip_reason,
                taxonomy, rules_version, model_version, snippet, run_id, recorded_at, sender_domain, explanation,
                skip_kind)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                $21, $22, $23, $24, $25)
             ON CONFLICT (content_key) DO NOTHING RETURNING id",
        )?;
        let find = tx.prepare("SELECT id FROM messages WHERE content_key = $1")?;
        let was_pruned = tx.prepare("SELECT 1 FROM pruned WHERE content_key = $1")?;
        let locate = tx.prepare(
            "INSERT INTO locations (message_id, account, mailbox, uidvalidity, uid) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )?;
        let now = now_rfc3339();
        // Most stores have never been pruned: then no key needs looking up there.
        let any_pruned: bool = col(&tx.query_one("SELECT EXISTS (SELECT 1 FROM pruned)", &[])?, 0)?;
        for m in messages {
            if any_pruned && tx.query_opt(&was_pruned, &[&m.content_key])?.is_some() {
                result.duplicates += 1; // counted before, in the aggregates
                continue;
            }
            let reasons = join_reasons(&m.review_reasons);
            let skip = m.skip.as_ref().map(ToString::to_string);
            let inserted = tx.query_opt(
                &insert,
                &[
                    &m.content_key,
                    &m.message_date,
                    &m.date_source,
                    &m.year,
                    &m.month.map(i32::from),
                    &m.channel.as_str(),
                    &m.status.as_str(),
                    &m.topic,
                    &m.confidence,
                    &m.decided_by.map(DecidedBy::as_str),
                    &m.review,
                    &reasons,
                    &m.tipologia,
                    &m.exclusion.map(|(r, _)| r.as_str()),
                    &m.exclusion.map(|(_, strong)| strong),
                    &skip,
                    &m.taxonomy,
                    &m.rules_version,
                    &m.model_version,
                    &m.snippet,
                    &run,
                    &now,
                    &m.sender_domain,
                    &m.explanation,
                    &m.skip.as_ref().map(|r| r.kind().as_str()),
                ],
            )?;
            let id: i64 = match inserted {
                Some(row) => {
                    result.inserted += 1;
                    col(&row, 0)?
                }
                None => {
                    result.duplicates += 1;
                    col(&tx.query_one(&find, &[&m.content_key])?, 0)?
                }
            };
            let (account, mailbox, uidvalidity, uid) = location_columns(&m.location);
            tx.execute(&locate, &[&id, &account, &mailbox.as_ref(), &uidvalidity, &uid])?;
        }
        if let Some(Advance { account, mailbox, checkpoint: cp, .. }) = advance {
            tx.execute(
                "INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = $3,
                    last_uid = GREATEST(CASE WHEN checkpoints.uidvalidity = $3 THEN checkpoints.last_uid ELSE 0 END, $4),
                    updated_at = $5",
                &[&account, &mailbox, &i64::from(cp.uidvalidity.0), &i64::from(cp.last_uid.0), &now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(result)
    }
}
