//! What every backend stores the same way: a location in four columns, review reasons as one
//! text column, timestamps as RFC 3339 text in UTC. Keeping these in one place keeps the
//! backends' rows identical, so a store copies exactly from one to the other.

use std::borrow::Cow;
use std::path::PathBuf;

use super::Checkpoint;
use crate::domain::{Location, ReviewReason, Uid, UidValidity};

const SAMPLE_PREFIX: &str = "sample:";

/// The `locations` row of a location: `(account, mailbox, uidvalidity, uid)`. Files and the
/// sample have no account; a file's mailbox is its path and its uid the mbox index (0 for a
/// plain file), the sample's mailbox is `sample:NAME`. Existing stores hold exactly these.
pub(super) fn location_columns(l: &Location) -> (&str, Cow<'_, str>, i64, i64) {
    match l {
        Location::File { path, mbox_index } => {
            ("", path.to_string_lossy(), 0, i64::from(mbox_index.unwrap_or(0)))
        }
        Location::Imap { account, mailbox, uidvalidity, uid } => {
            (account, mailbox.as_str().into(), i64::from(uidvalidity.0), i64::from(uid.0))
        }
        Location::Sample { name } => ("", format!("{SAMPLE_PREFIX}{name}").into(), 0, 0),
    }
}

/// The location a `locations` row describes (the inverse of [`location_columns`]; mbox entry 0
/// reads back as the first message at the path, which is the same message).
pub(super) fn location_from_columns(
    account: String,
    mailbox: String,
    uidvalidity: i64,
    uid: i64,
) -> Location {
    if !account.is_empty() {
        return Location::Imap {
            account,
            mailbox,
            uidvalidity: UidValidity(uidvalidity as u32),
            uid: Uid(uid as u32),
        };
    }
    match mailbox.strip_prefix(SAMPLE_PREFIX) {
        Some(name) => Location::Sample { name: name.to_string() },
        None => Location::File { path: PathBuf::from(mailbox), mbox_index: (uid > 0).then_some(uid as u32) },
    }
}

/// Now, as the stores write times.
pub(super) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Review reasons as the stores keep them: comma-separated identifiers.
pub(super) fn join_reasons(reasons: &[ReviewReason]) -> String {
    let mut s = String::new();
    for (i, r) in reasons.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(r.as_str());
    }
    s
}

/// The inverse of [`join_reasons`]; an unknown identifier is named.
pub(super) fn split_reasons(s: &str) -> Result<Vec<ReviewReason>, String> {
    s.split(',')
        .filter(|r| !r.is_empty())
        .map(|r| ReviewReason::parse(r).ok_or_else(|| format!("unknown review reason {r:?}")))
        .collect()
}

/// The checkpoint a visit continues from: the stored one under the same UIDVALIDITY; UID 0 for
/// a mailbox never recorded, a row left by a failed first visit (`record_mailbox_sync`), or a
/// new UIDVALIDITY (the mailbox is scanned again; content keys keep the counts exact).
pub(super) fn visited(
    current: Option<Checkpoint>,
    uidvalidity: UidValidity,
    account: &str,
    mailbox: &str,
) -> Checkpoint {
    match current {
        Some(c) if c.uidvalidity == uidvalidity => c,
        Some(c) if c.uidvalidity.0 != 0 => {
            tracing::warn!(
                account,
                mailbox,
                old = c.uidvalidity.0,
                new = uidvalidity.0,
                "UIDVALIDITY changed: rescanning the mailbox (duplicates are not counted twice)"
            );
            Checkpoint { uidvalidity, last_uid: Uid(0) }
        }
        _ => Checkpoint { uidvalidity, last_uid: Uid(0) },
    }
}

/// Why `reclassify --undo RUN` cannot undo a ledger run, given its kind and undo time (`None`:
/// no such run); `Ok` when it can.
pub(super) fn undoable(run: i64, found: Option<(String, Option<String>)>) -> Result<(), String> {
    match found {
        None => Err(format!("no run {run} in the ledger")),
        Some((kind, _)) if kind != "reclassify" => {
            Err(format!("run {run} is a {kind} run, not a reclassify run"))
        }
        Some((_, Some(at))) => Err(format!("reclassify run {run} was already undone at {at}")),
        Some(_) => Ok(()),
    }
}
