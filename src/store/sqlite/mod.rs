//! The SQLite backend (rusqlite, bundled): the embedded default store. One file, WAL mode, so a
//! report or `status` can read while the daemon writes; file mode 0600; migrations by
//! `user_version`. Its SQL lives in `sql/`: the schema and its migrations, and the longer
//! statements. `rusqlite` types never leave this module.

mod copy;
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

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use super::columns::{join_reasons, location_columns, location_from_columns, now_rfc3339, split_reasons};
use super::{StoreError, StoreTarget};
use crate::domain::{Location, ReviewReason, Status};

/// Schema migrations, applied in order; the index + 1 is the `user_version` after it.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/schema.sql"),
    include_str!("sql/migration2.sql"),
    include_str!("sql/migration3.sql"),
    include_str!("sql/migration4.sql"),
    include_str!("sql/migration5.sql"),
    include_str!("sql/migration6.sql"),
    include_str!("sql/migration7.sql"),
    include_str!("sql/migration8.sql"),
];

/// An open SQLite store.
#[derive(Debug)]
pub(crate) struct Sqlite {
    conn: Connection,
    path: PathBuf,
    /// The same path, as the store's name.
    target: StoreTarget,
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
        split_reasons(s).map(StoredReasons).map_err(|e| FromSqlError::Other(e.into()))
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| StoreError::Io {
        store: path.display().to_string(),
        message: format!("cannot restrict permissions: {e}"),
    })
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> Result<(), StoreError> {
    Ok(())
}
