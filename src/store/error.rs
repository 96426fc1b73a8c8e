//! Store errors, with the fix for the ones an operator can act on. A store is named by its
//! file or its URL (never with a password); database errors are printed as plain text with the
//! server's message, never as the library's debug output.

use std::fmt;

use super::StoreTarget;

/// Store errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{store}: {source}{hint}", hint = hint(.source))]
    Open { store: String, source: rusqlite::Error },
    #[error(
        "{store}: database schema version {found} is newer than this urpmail knows ({known}); upgrade urpmail"
    )]
    TooNew { store: String, found: i64, known: i64 },
    #[error("database error: {0}{hint}", hint = hint(.0))]
    Sql(#[from] rusqlite::Error),
    #[error("{store}: {message}")]
    Io { store: String, message: String },
    #[error("store {store}: {source}{hint}", hint = hint(.source))]
    At { store: String, source: rusqlite::Error },
    /// A PostgreSQL error, before the command names the store.
    #[error("database error: {}", PgText(.0))]
    Pg(#[from] postgres::Error),
    /// A PostgreSQL error of a named store.
    #[error("store {store}: {}", PgText(.source))]
    PgAt { store: String, source: postgres::Error },
    /// Another daemon claimed the mailbox since this one did: the batch was not written (the
    /// other daemon fetches it again from the checkpoint).
    #[error(
        "{account}/{mailbox}: another daemon ({holder}) took over this mailbox; this daemon's batch was not written and the mailbox is left to it"
    )]
    LeaseLost { account: String, mailbox: String, holder: String },
    /// The store holds another ente's mail.
    #[error(
        "{store}: this store holds the mail of ente {recorded:?}, not {configured:?}: check [ente] id and [store] in the configuration (each ente has its own store)"
    )]
    OtherEnte { store: String, recorded: String, configured: String },
    /// A PostgreSQL database without an urpmail store in it.
    #[error("{store}: no store yet (run `urpmail poll` or `urpmail ingest` first)")]
    NoStore { store: String },
}

impl StoreError {
    /// Names the store in a database error (the connection does not know its name).
    pub fn at(self, target: &StoreTarget) -> StoreError {
        match self {
            StoreError::Sql(source) => StoreError::At { store: target.to_string(), source },
            StoreError::Pg(source) => StoreError::PgAt { store: target.to_string(), source },
            e => e,
        }
    }

    /// Whether the database server could not be reached or went away: the run may succeed
    /// later without any change (exit status 75, "temporary failure").
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pg(e) | StoreError::PgAt { source: e, .. } => pg_unavailable(e),
            _ => false,
        }
    }
}

fn pg_unavailable(e: &postgres::Error) -> bool {
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c.starts_with("57P") || c == "53300"
        }
        // A connection that was refused, reset or timed out; not a TLS verification failure
        // (rustls reports those as InvalidData), which waiting does not fix.
        None => {
            e.as_db_error().is_none()
                && (e.is_closed()
                    || std::error::Error::source(e)
                        .and_then(|s| s.downcast_ref::<std::io::Error>())
                        .is_some_and(|io| io.kind() != std::io::ErrorKind::InvalidData))
        }
    }
}

/// A PostgreSQL error as one line of plain text: the server's message with its SQLSTATE and
/// detail, or the client's (connection, TLS), then the fix when the operator has one.
struct PgText<'a>(&'a postgres::Error);

impl fmt::Display for PgText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        match e.as_db_error() {
            Some(db) => {
                write!(f, "{} (SQLSTATE {})", db.message(), db.code().code())?;
                if let Some(d) = db.detail() {
                    write!(f, ": {d}")?;
                }
            }
            None => {
                // The client's own errors: what failed, then why (the I/O or TLS cause), which
                // the client's message leaves out.
                write!(f, "{e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    write!(f, ": {s}")?;
                    source = s.source();
                }
            }
        }
        f.write_str(pg_hint(e))
    }
}

/// What to do about the PostgreSQL errors an operator can fix.
fn pg_hint(e: &postgres::Error) -> &'static str {
    let Some(code) = e.code() else {
        if pg_unavailable(e) {
            return " (cannot reach the database server: check host and port in [store] url, that \
                    PostgreSQL listens there and that no firewall is in the way; the daemon retries)";
        }
        let text = e.to_string();
        if text.contains("certificate") || text.contains("tls") || text.contains("TLS") {
            return " (the server's certificate could not be verified: give its CA as ca_file in [store], \
                    and use the host name the certificate names)";
        }
        return "";
    };
    match code.code() {
        "28P01" | "28000" => {
            " (the server refused the login: check the user in [store] url and the password in its \
             password_file, and the server's pg_hba.conf)"
        }
        "3D000" => " (the database does not exist: create it, see docs/service.md \"PostgreSQL\")",
        "42501" => {
            " (the database user lacks a right: it must own the database or the store's schema, see \
             docs/service.md \"PostgreSQL\")"
        }
        "25006" => {
            " (the connection is read-only: this command writes; check the user's default_transaction_read_only)"
        }
        "53100" => {
            " (the database server's disk is full: free space and run again; the batch in progress was \
             not recorded and its checkpoint did not move, so it is fetched again)"
        }
        "53300" => " (the server has no free connection: raise max_connections or run fewer daemons)",
        c if c.starts_with("08") || c.starts_with("57P") => {
            " (the connection to the database server was lost: the daemon retries; check the server's log)"
        }
        _ => "",
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
