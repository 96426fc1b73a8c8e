//! The run ledger, checkpoints and the batch write: decisions, new locations and the checkpoint
//! in one transaction. Content keys make a batch idempotent across daemons: a key another
//! daemon inserted meanwhile waits for its commit, then counts as a duplicate.

use std::collections::{HashMap, HashSet};

use super::super::columns::{join_reasons, location_columns, now_rfc3339, visited};
use super::{Postgres, col};
use crate::domain::{DecidedBy, Uid, UidValidity};
use crate::store::{
    Advance, BatchResult, Checkpoint, Lease, LeaseState, RunStatus, RunTotals, StoreError, StoredMessage,
};

/// How many times a batch is written when the database aborts it (deadlock, serialization).
const RETRIES: u32 = 5;

/// A transaction the database aborted to resolve a conflict, which succeeds when run again.
fn retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code() == "40P01" || c.code() == "40001")
}

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
        let cp = visited(self.checkpoint(account, mailbox)?, uidvalidity, account, mailbox);
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
             RETURNING token, to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[&account, &mailbox, &holder, &ttl.as_secs_f64()],
        )?;
        row.map(|r| {
            Ok(Lease {
                account: account.into(),
                mailbox: mailbox.into(),
                holder: holder.into(),
                token: col(&r, 0)?,
                ttl,
                claimed_at: col(&r, 1)?,
            })
        })
        .transpose()
    }

    /// `Store::release_mailbox` on PostgreSQL. The release is at the statement's `now()`: a
    /// claim by another daemon can only succeed at a later `now()` (its WHERE needs `expires_at <
    /// now()`), so the returned times order every daemon's claims and releases of a mailbox.
    pub(crate) fn release_mailbox(&mut self, lease: &Lease) -> Result<Option<String>, StoreError> {
        let row = self.client()?.query_opt(
            "UPDATE mailbox_leases SET expires_at = now()
             WHERE account = $1 AND mailbox = $2 AND holder = $3 AND token = $4
             RETURNING to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[&lease.account, &lease.mailbox, &lease.holder, &lease.token],
        )?;
        row.map(|r| col(&r, 0)).transpose()
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

    /// `Store::write_batch` on PostgreSQL. Two daemons writing the same message (delivered to
    /// two of their mailboxes) at the same moment can wait on each other's keys: PostgreSQL then
    /// aborts one transaction as a deadlock, and that batch is simply written again.
    pub(crate) fn write_batch(
        &mut self,
        run: i64,
        messages: &[StoredMessage],
        advance: Option<Advance<'_>>,
    ) -> Result<BatchResult, StoreError> {
        let mut attempt = 1;
        loop {
            match self.write_batch_once(run, messages, advance) {
                Err(StoreError::Pg(e)) if attempt < RETRIES && retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "batch transaction aborted by the database, writing it again");
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    fn write_batch_once(
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
        let now = now_rfc3339();
        // Most stores have never been pruned: then no key needs looking up there.
        let any_pruned: bool = col(&tx.query_one("SELECT EXISTS (SELECT 1 FROM pruned)", &[])?, 0)?;
        let pruned: HashSet<String> = if any_pruned {
            let keys: Vec<&str> = messages.iter().map(|m| m.content_key.as_str()).collect();
            tx.query("SELECT content_key FROM pruned WHERE content_key = ANY($1)", &[&keys])?
                .iter()
                .map(|r| col(r, 0))
                .collect::<Result<_, _>>()?
        } else {
            HashSet::new()
        };
        // Pruned messages were counted before, in the aggregates: duplicates, without a location.
        let fresh: Vec<&StoredMessage> =
            messages.iter().filter(|m| !pruned.contains(&m.content_key)).collect();
        result.duplicates += (messages.len() - fresh.len()) as u64;
        if !fresh.is_empty() {
            // The whole batch in three statements: the messages (column arrays, in batch order,
            // so ids follow it as in SQLite), the ids of all their keys, their locations.
            let v = Columns::of(&fresh);
            let inserted = tx.execute(
                "INSERT INTO messages (content_key, message_date, date_source, year, month, channel, status, topic,
                    confidence, decided_by, review, review_reasons, tipologia, exclusion, exclusion_strong,
                    skip_reason, taxonomy, rules_version, model_version, snippet, sender_domain, explanation,
                    skip_kind, run_id, recorded_at)
                 SELECT k, d, ds, y, mo, ch, st, tp, cf, db, rv, rr, tg, ex, es, sr, tx, rl, ml, sn, sd, ep, sk, $24, $25
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[],
                    $8::text[], $9::float8[], $10::text[], $11::bool[], $12::text[], $13::text[], $14::text[],
                    $15::bool[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[],
                    $22::text[], $23::text[])
                    WITH ORDINALITY AS u(k, d, ds, y, mo, ch, st, tp, cf, db, rv, rr, tg, ex, es, sr, tx, rl, ml, sn,
                        sd, ep, sk, n)
                 ORDER BY n
                 ON CONFLICT (content_key) DO NOTHING",
                &[
                    &v.key,
                    &v.date,
                    &v.date_source,
                    &v.year,
                    &v.month,
                    &v.channel,
                    &v.status,
                    &v.topic,
                    &v.confidence,
                    &v.decided_by,
                    &v.review,
                    &v.reasons,
                    &v.tipologia,
                    &v.exclusion,
                    &v.exclusion_strong,
                    &v.skip,
                    &v.taxonomy,
                    &v.rules_version,
                    &v.model_version,
                    &v.snippet,
                    &v.sender_domain,
                    &v.explanation,
                    &v.skip_kind,
                    &run,
                    &now,
                ],
            )?;
            result.inserted += inserted;
            result.duplicates += fresh.len() as u64 - inserted;
            let ids: HashMap<String, i64> = tx
                .query("SELECT content_key, id FROM messages WHERE content_key = ANY($1)", &[&v.key])?
                .iter()
                .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
                .collect::<Result<_, StoreError>>()?;
            let mut l = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for m in &fresh {
                let id = *ids.get(&m.content_key).ok_or_else(|| StoreError::Io {
                    store: String::new(),
                    message: format!("message {} was neither inserted nor found", m.content_key),
                })?;
                let (account, mailbox, uidvalidity, uid) = location_columns(&m.location);
                l.0.push(id);
                l.1.push(account);
                l.2.push(mailbox.into_owned());
                l.3.push(uidvalidity);
                l.4.push(uid);
            }
            tx.execute(
                "INSERT INTO locations (message_id, account, mailbox, uidvalidity, uid)
                 SELECT m, a, b, v, u FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
                    WITH ORDINALITY AS t(m, a, b, v, u, n)
                 ORDER BY n
                 ON CONFLICT DO NOTHING",
                &[&l.0, &l.1, &l.2, &l.3, &l.4],
            )?;
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

/// A batch's messages as column arrays, for one `INSERT ... SELECT FROM UNNEST`.
struct Columns<'a> {
    key: Vec<&'a str>,
    date: Vec<Option<&'a str>>,
    date_source: Vec<&'a str>,
    year: Vec<Option<i32>>,
    month: Vec<Option<i32>>,
    channel: Vec<&'a str>,
    status: Vec<&'a str>,
    topic: Vec<Option<&'a str>>,
    confidence: Vec<Option<f64>>,
    decided_by: Vec<Option<&'a str>>,
    review: Vec<bool>,
    reasons: Vec<String>,
    tipologia: Vec<Option<&'a str>>,
    exclusion: Vec<Option<&'a str>>,
    exclusion_strong: Vec<Option<bool>>,
    skip: Vec<Option<String>>,
    taxonomy: Vec<&'a str>,
    rules_version: Vec<Option<&'a str>>,
    model_version: Vec<Option<&'a str>>,
    snippet: Vec<Option<&'a str>>,
    sender_domain: Vec<Option<&'a str>>,
    explanation: Vec<Option<&'a str>>,
    skip_kind: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn of(messages: &[&'a StoredMessage]) -> Columns<'a> {
        let col = |f: &dyn Fn(&'a StoredMessage) -> Option<&'a str>| messages.iter().map(|m| f(m)).collect();
        Columns {
            key: messages.iter().map(|m| m.content_key.as_str()).collect(),
            date: col(&|m| m.message_date.as_deref()),
            date_source: messages.iter().map(|m| m.date_source).collect(),
            year: messages.iter().map(|m| m.year).collect(),
            month: messages.iter().map(|m| m.month.map(i32::from)).collect(),
            channel: messages.iter().map(|m| m.channel.as_str()).collect(),
            status: messages.iter().map(|m| m.status.as_str()).collect(),
            topic: col(&|m| m.topic.as_deref()),
            confidence: messages.iter().map(|m| m.confidence).collect(),
            decided_by: col(&|m| m.decided_by.map(DecidedBy::as_str)),
            review: messages.iter().map(|m| m.review).collect(),
            reasons: messages.iter().map(|m| join_reasons(&m.review_reasons)).collect(),
            tipologia: col(&|m| m.tipologia.as_deref()),
            exclusion: col(&|m| m.exclusion.map(|(r, _)| r.as_str())),
            exclusion_strong: messages.iter().map(|m| m.exclusion.map(|(_, s)| s)).collect(),
            skip: messages.iter().map(|m| m.skip.as_ref().map(ToString::to_string)).collect(),
            taxonomy: messages.iter().map(|m| m.taxonomy.as_str()).collect(),
            rules_version: col(&|m| m.rules_version.as_deref()),
            model_version: col(&|m| m.model_version.as_deref()),
            snippet: col(&|m| m.snippet.as_deref()),
            sender_domain: col(&|m| m.sender_domain.as_deref()),
            explanation: col(&|m| m.explanation.as_deref()),
            skip_kind: col(&|m| m.skip.as_ref().map(|r| r.kind().as_str())),
        }
    }
}
