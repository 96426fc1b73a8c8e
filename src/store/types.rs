//! The store's row types, the same for every backend: what is written (a message's decision
//! and where it was seen, checkpoints, run totals) and what is read back (counts, runs, review
//! rows, corrections). Statuses, reasons and kinds stay enums here; each backend turns them
//! into their stable identifiers at its own edge.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{
    Channel, DecidedBy, ExclusionReason, ReviewReason, SkipReason, Status, Uid, UidValidity,
};

pub use crate::domain::Location;

/// One message's decision, as stored. Typed up to here: the store turns the enums into their
/// stable identifiers when it writes the row.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub content_key: String,
    pub message_date: Option<String>,
    pub date_source: &'static str,
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub channel: Channel,
    pub status: Status,
    /// The topic id; none for a skipped message (no text).
    pub topic: Option<String>,
    pub confidence: Option<f64>,
    pub decided_by: Option<DecidedBy>,
    pub review: bool,
    pub review_reasons: Vec<ReviewReason>,
    pub tipologia: Option<String>,
    /// The exclusion reason and whether a strong signal decided it.
    pub exclusion: Option<(ExclusionReason, bool)>,
    pub skip: Option<SkipReason>,
    pub taxonomy: String,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
    pub snippet: Option<String>,
    pub sender_domain: Option<String>,
    /// JSON explanation (top topics, rules fired, model terms).
    pub explanation: Option<String>,
    pub location: Location,
}

/// A checkpoint of a watched mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub uidvalidity: UidValidity,
    pub last_uid: Uid,
}

/// What writing a batch did.
/// A daemon's claim on a mailbox: while it holds it, no other daemon sharing the store polls
/// that mailbox, and every write it makes there checks the claim is still its own (fencing).
/// A SQLite store has one writer and grants every claim (`token` 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub account: String,
    pub mailbox: String,
    /// Who holds it: `HOST/PID/NONCE` of the daemon.
    pub holder: String,
    /// Incremented at every claim: a write checks holder and token.
    pub token: i64,
    /// How long the claim lasts without a write renewing it.
    pub ttl: std::time::Duration,
    /// When it was claimed, by the store's clock (RFC 3339, UTC, microseconds): the clock every
    /// daemon's claims and releases are ordered by.
    pub claimed_at: String,
}

/// Where a batch moves the checkpoint, under which claim.
#[derive(Debug, Clone, Copy)]
pub struct Advance<'a> {
    pub account: &'a str,
    pub mailbox: &'a str,
    pub checkpoint: Checkpoint,
    /// The daemon's claim on the mailbox, checked and renewed in the batch's transaction.
    pub lease: Option<&'a Lease>,
}

/// A mailbox claim as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseState {
    pub account: String,
    pub mailbox: String,
    pub holder: String,
    pub claimed_at: String,
    /// Whether the claim is still running (not expired or released).
    pub active: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchResult {
    /// New messages.
    pub inserted: u64,
    /// Messages already stored (seen in another mailbox, re-delivered or re-ingested).
    pub duplicates: u64,
}

/// Totals of a run for the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunTotals {
    pub fetched: u64,
    pub classified: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: BTreeMap<String, u64>,
    pub duplicates: u64,
    pub errors: u64,
}

impl RunTotals {
    /// Adds one stored message to the totals.
    pub fn count(&mut self, m: &StoredMessage) {
        self.fetched += 1;
        match (m.status, &m.exclusion, &m.skip) {
            (Status::Excluded, Some((reason, _)), _) => {
                *self.excluded.entry(reason.as_str().to_string()).or_insert(0) += 1;
            }
            (Status::Skipped, _, Some(reason)) => {
                *self.skipped.entry(reason.kind().as_str().to_string()).or_insert(0) += 1;
            }
            (Status::Classified, _, _) => self.classified += 1,
            // `batch::stored` never builds these; count them where the totals stay honest.
            (Status::Excluded, None, _) => *self.excluded.entry("?".to_string()).or_insert(0) += 1,
            (Status::Skipped, _, None) => *self.skipped.entry("?".to_string()).or_insert(0) += 1,
        }
    }
}

/// How a run ended, as the ledger records it (a run still going is `running`, and one left
/// `running` by a crash becomes `interrupted` at the next start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    Failed,
    /// Stopped on request (SIGTERM, a shutdown future) after writing what it had fetched.
    Interrupted,
}

impl RunStatus {
    /// Stable identifier used in the ledger and `status`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// A run as stored in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub kind: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub fetched: u64,
    pub classified: u64,
    pub excluded: serde_json::Value,
    pub skipped: serde_json::Value,
    pub duplicates: u64,
    pub errors: u64,
    pub error: Option<String>,
}

/// Per-mailbox state for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxState {
    pub account: String,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
    pub exists: Option<u64>,
    pub updated_at: String,
    /// When every new message of the mailbox was last recorded (a complete sync).
    pub synced_at: Option<String>,
    /// The last sync error and when it happened (it may be older than `synced_at`).
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

/// One cell of the counts: topic (or exclusion reason) per period and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub channel: String,
    pub status: Status,
    /// Topic id for classified mail, exclusion reason for excluded, skip kind for skipped.
    pub key: String,
    pub count: u64,
    pub review: u64,
    /// Request type of classified mail.
    pub tipologia: Option<String>,
}

/// A stored message as the review report shows it.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub content_key: String,
    pub message_date: Option<String>,
    pub channel: String,
    pub status: Status,
    pub topic: String,
    pub confidence: f64,
    pub decided_by: String,
    pub review: bool,
    pub review_reasons: Vec<ReviewReason>,
    pub tipologia: Option<String>,
    pub exclusion: Option<String>,
    pub exclusion_strong: Option<bool>,
    pub snippet: Option<String>,
    pub sender_domain: Option<String>,
    pub explanation: Option<String>,
    pub location: Option<Location>,
    pub model_version: Option<String>,
}

/// One correction to apply.
#[derive(Debug, Clone)]
pub struct Correction {
    pub content_key: String,
    pub new_topic: String,
    pub tipologia: Option<String>,
    pub note: Option<String>,
}

/// What undoing a correction batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchUndo {
    /// The batch is undone: this many decisions got their topic back.
    Restored(u64),
    /// The store has no batch with that number.
    NoSuchBatch,
    /// The batch was undone already, at this time (RFC 3339).
    AlreadyUndone(String),
}

/// A correction as applied (for the model update and the summary).
#[derive(Debug, Clone)]
pub struct Applied {
    pub message_id: i64,
    pub content_key: String,
    pub kind: &'static str,
    pub old_topic: String,
    pub new_topic: String,
    pub location: Option<Location>,
}

/// A model this store learned: its file beside the store (none once retention removed it), its
/// parent and the correction batch that produced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRecord {
    pub version: String,
    pub parent_version: Option<String>,
    pub file: Option<std::path::PathBuf>,
    pub created_at: String,
    pub batch_id: Option<i64>,
    /// Reviewed messages it learned from (beyond its parent).
    pub documents: u64,
    /// Whether the store itself holds the model's bytes (a database store; see
    /// [`Store::model_bytes`](crate::store::Store::model_bytes)).
    pub in_store: bool,
}

/// The decision columns of a stored message that `reclassify` re-decides, as stored
/// (identifiers, not enums: they are compared and restored as they are).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionColumns {
    pub status: Status,
    pub topic: Option<String>,
    pub confidence: Option<f64>,
    pub decided_by: Option<String>,
    pub review: bool,
    pub review_reasons: Vec<ReviewReason>,
    pub tipologia: Option<String>,
    pub exclusion: Option<String>,
    pub exclusion_strong: Option<bool>,
    pub rules_version: Option<String>,
    pub model_version: Option<String>,
    pub explanation: Option<String>,
}

impl DecisionColumns {
    /// The columns a new decision would write.
    pub fn of(m: &StoredMessage) -> DecisionColumns {
        DecisionColumns {
            status: m.status,
            topic: m.topic.clone(),
            confidence: m.confidence,
            decided_by: m.decided_by.map(|d| d.as_str().to_string()),
            review: m.review,
            review_reasons: m.review_reasons.clone(),
            tipologia: m.tipologia.clone(),
            exclusion: m.exclusion.map(|(r, _)| r.as_str().to_string()),
            exclusion_strong: m.exclusion.map(|(_, s)| s),
            rules_version: m.rules_version.clone(),
            model_version: m.model_version.clone(),
            explanation: m.explanation.clone(),
        }
    }

    /// What a theme table counts the message under: the topic of classified mail, the
    /// exclusion reason of excluded mail.
    pub fn counted_as(&self) -> String {
        match self.status {
            Status::Classified => self.topic.clone().unwrap_or_default(),
            Status::Excluded => format!("({})", self.exclusion.as_deref().unwrap_or("excluded")),
            Status::Skipped => "(skipped)".into(),
        }
    }
}

/// A stored, unreviewed decision that `reclassify` may re-decide.
#[derive(Debug, Clone)]
pub struct RedoRow {
    pub id: i64,
    pub content_key: String,
    pub year: Option<i32>,
    /// Where it was first seen (none if the store has no location for it).
    pub location: Option<Location>,
    pub decision: DecisionColumns,
}

/// One re-decided message: the decision before and after.
#[derive(Debug, Clone)]
pub struct Redecided {
    pub id: i64,
    pub year: Option<i32>,
    pub old: DecisionColumns,
    pub new: DecisionColumns,
}

/// One row of `report messages`: what the store keeps of a message, nothing more.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRow {
    pub id: i64,
    pub location: Option<String>,
    pub date: Option<String>,
    pub year: Option<i32>,
    pub channel: String,
    pub status: String,
    pub topic: Option<String>,
    pub confidence: Option<f64>,
    pub decided_by: Option<String>,
    pub reviewed: bool,
    pub model_version: Option<String>,
    pub run: Option<i64>,
}

/// The model versions around a correction batch: (the model that decided before, the model it
/// produced).
pub type BatchModels = (Option<String>, Option<String>);
