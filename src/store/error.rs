//! Store errors, with the fix for the ones an operator can act on.

use std::path::{Path, PathBuf};

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}{hint}", hint = hint(.source))]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "{path}: database schema version {found} is newer than this urpmail knows ({known}); upgrade urpmail"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("database error: {0}{hint}", hint = hint(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("store {path}: {source}{hint}", hint = hint(.source))]
    At { path: PathBuf, source: rusqlite::Error },
}

impl StoreError {
    /// Names the store file in a database error (the connection does not know its path).
    pub fn at(self, path: &Path) -> StoreError {
        match self {
            StoreError::Sql(source) => StoreError::At { path: path.to_path_buf(), source },
            e => e,
        }
    }
}

/// What to do about the SQLite errors an operator can fix.
fn hint(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::DiskFull) => {
            " (the disk holding the store is full: free space and run again; the batch in progress was \
             not recorded and its checkpoint did not move, so it is fetched again)"
        }
        Some(C::ReadOnly) => {
            " (the store is read-only: check that its file system is mounted read-write and that the \
             service user owns the file and its directory)"
        }
        Some(C::DatabaseBusy | C::DatabaseLocked) => {
            " (another process held the store locked for too long: check for a stuck urpmail or a \
             tool holding a write transaction)"
        }
        Some(C::CannotOpen | C::PermissionDenied) => {
            " (cannot open the store file: check that its directory exists and the service user may \
             write there)"
        }
        Some(C::DatabaseCorrupt | C::NotADatabase) => {
            " (the store file is damaged or not an urpmail store: restore the last backup, see \
             docs/service.md)"
        }
        Some(C::SystemIoFailure) => {
            " (input/output error on the store's disk: check the disk and free space)"
        }
        _ => "",
    }
}
