//! The SQLite backend (rusqlite, bundled): the embedded default store. One file, WAL mode, so a
//! report or `status` can read while the daemon writes; file mode 0600; migrations by
//! `user_version`. Its SQL lives in `sql/`: the schema and its migrations, and the longer
//! statements. `rusqlite` types never leave this module.

mod counts;
mod models;
mod open;
mod prune;
mod reclassify;
mod review;
mod runs;
#[cfg(test)]
mod tests;
mod write;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use super::StoreError;
use crate::domain::{Location, ReviewReason, Status, Uid, UidValidity};

/// Schema migrations, applied in order; the index + 1 is the `user_version` after it.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/schema.sql"),
    include_str!("sql/migration2.sql"),
    include_str!("sql/migration3.sql"),
    include_str!("sql/migration4.sql"),
    include_str!("sql/migration5.sql"),
    include_str!("sql/migration6.sql"),
    include_str!("sql/migration7.sql"),
];

/// An open SQLite store.
#[derive(Debug)]
pub(crate) struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

/// The `locations` row of a location: `(account, mailbox, uidvalidity, uid)`. Files and the
/// sample have no account; a file's mailbox is its path and its uid the mbox index (0 for a
/// plain file), the sample's mailbox is `sample:NAME`. Existing stores hold exactly these.
fn location_columns(l: &Location) -> (&str, Cow<'_, str>, i64, i64) {
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

const SAMPLE_PREFIX: &str = "sample:";

/// The location a `locations` row describes (the inverse of [`location_columns`]; mbox entry 0
/// reads back as the first message at the path, which is the same message).
fn location_from_columns(account: String, mailbox: String, uidvalidity: i64, uid: i64) -> Location {
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

/// The location in four columns of a row from `at` on (`l.account, l.mailbox, l.uidvalidity,
/// l.uid` of a LEFT JOIN on `locations`): none when the message has no location row.
fn joined_location(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<Location>> {
    let account: Option<String> = r.get(at)?;
    match account {
        Some(a) => Ok(Some(location_from_columns(a, r.get(at + 1)?, r.get(at + 2)?, r.get(at + 3)?))),
        None => Ok(None),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Review reasons as the store keeps them: comma-separated identifiers.
fn join_reasons(reasons: &[ReviewReason]) -> String {
    let mut s = String::new();
    for (i, r) in reasons.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(r.as_str());
    }
    s
}

/// The store edge of [`Status`]: the CHECK constraint keeps the column to the three identifiers.
impl FromSql for Status {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        Status::parse(s).ok_or_else(|| FromSqlError::Other(format!("unknown message status {s:?}").into()))
    }
}

/// Review reasons as stored: comma-separated identifiers.
struct StoredReasons(Vec<ReviewReason>);

impl FromSql for StoredReasons {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        s.split(',')
            .filter(|r| !r.is_empty())
            .map(|r| {
                ReviewReason::parse(r)
                    .ok_or_else(|| FromSqlError::Other(format!("unknown review reason {r:?}").into()))
            })
            .collect::<FromSqlResult<Vec<_>>>()
            .map(StoredReasons)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        message: format!("cannot restrict permissions: {e}"),
    })
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> Result<(), StoreError> {
    Ok(())
}
