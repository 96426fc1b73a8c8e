//! The PostgreSQL backend (the `postgres` crate): one database shared by many daemons, on any
//! number of machines. The tables live in a schema of their own (`urpmail` unless the
//! configuration says otherwise), the same tables and columns as the SQLite store (see
//! `sql/schema.sql`), migrated by the `schema_version` table under an advisory lock so two
//! daemons starting together migrate once. Learned models are kept in the database.
//!
//! The `postgres` client runs its own small runtime: it is used only from blocking threads (as
//! the SQLite store is), and dropping it moves off any async worker (see `Drop`).
//! `postgres` types never leave this module (and `error`).

mod copy;
mod models;
mod read;
mod reclassify;
mod review;
mod write;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::types::FromSql;
use postgres::{Client, NoTls, Row};

use super::target::{PgPassword, PgTarget, PgTls};
use super::{StoreError, StoreTarget};
use crate::domain::Status;

/// Schema migrations, applied in order; the index + 1 is the version after it.
const MIGRATIONS: &[&str] = &[include_str!("sql/schema.sql")];

/// The advisory lock key that serialises migrations ("urpmail" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x0075_7270_6d61_696c;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// An open PostgreSQL store. The client sits behind a mutex so that reads take `&self` like
/// the SQLite store's (a store is used by one thread at a time; the lock is never contended).
pub(crate) struct Postgres {
    /// Always `Some` until dropped.
    client: Mutex<Option<Client>>,
    target: StoreTarget,
    /// Where to connect again when the connection is lost (a database restart, a network cut).
    pg: Box<PgTarget>,
    /// Every transaction read-only (`open_readonly`).
    readonly: bool,
}

/// The locked connection.
struct Conn<'a>(MutexGuard<'a, Option<Client>>);

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0.as_ref().expect("checked by Postgres::client; taken only by Drop")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("checked by Postgres::client; taken only by Drop")
    }
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("target", &self.target.to_string()).finish_non_exhaustive()
    }
}

impl Drop for Postgres {
    /// The client owns a runtime, which may not be dropped on an async worker thread: there, it
    /// is dropped on a thread of its own.
    fn drop(&mut self) {
        let slot = self.client.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = slot.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new().name("pg-close".into()).spawn(move || drop(client));
            } else {
                drop(client);
            }
        }
    }
}

impl Postgres {
    /// Opens a store for writing, creating its schema and tables if needed, and migrates it.
    pub(crate) fn open(target: &PgTarget) -> Result<Postgres, StoreError> {
        let mut store = Postgres::connect(target)?;
        store.migrate(target)?;
        store.client()?.batch_execute(&session_settings(target, false))?;
        Ok(store)
    }

    /// Opens an existing store for reading: every transaction of this connection is read-only.
    pub(crate) fn open_readonly(target: &PgTarget) -> Result<Postgres, StoreError> {
        let mut store = Postgres::connect(target)?;
        let v = store.version(target)?;
        let name = || target.to_string();
        match v {
            None => return Err(StoreError::NoStore { store: name() }),
            Some(v) if v > MIGRATIONS.len() as i64 => {
                return Err(StoreError::TooNew { store: name(), found: v, known: MIGRATIONS.len() as i64 });
            }
            Some(_) => {}
        }
        store.readonly = true;
        store.client()?.batch_execute(&session_settings(target, true))?;
        Ok(store)
    }

    /// Whether the database holds a store (for commands that read one before any write).
    pub(crate) fn exists(target: &PgTarget) -> Result<bool, StoreError> {
        Ok(Postgres::connect(target)?.version(target)?.is_some())
    }

    /// The schemas of the enti's stores in the database (`ente_%` holding a store).
    pub(crate) fn enti_schemas(target: &PgTarget) -> Result<Vec<String>, StoreError> {
        let store = Postgres::connect(target)?;
        let rows = store.client()?.query(
            "SELECT nspname::text FROM pg_namespace
             WHERE nspname LIKE 'ente\\_%' AND to_regclass(quote_ident(nspname) || '.schema_version') IS NOT NULL
             ORDER BY 1",
            &[],
        )?;
        rows.iter().map(|r| col(r, 0)).collect()
    }

    /// `Store::target` on PostgreSQL.
    pub(crate) fn target(&self) -> &StoreTarget {
        &self.target
    }

    fn connect(target: &PgTarget) -> Result<Postgres, StoreError> {
        let client = dial(target)?;
        Ok(Postgres {
            client: Mutex::new(Some(client)),
            target: StoreTarget::Postgres(Box::new(target.clone())),
            pg: Box::new(target.clone()),
            readonly: false,
        })
    }

    /// The connection. A panic while it was held (none is expected) leaves it usable: every
    /// write is one transaction, which PostgreSQL rolled back.
    ///
    /// A connection the server or the network closed (a database restart, a failover) is
    /// replaced here, at the next use: the call that met the closed connection failed (its
    /// transaction rolled back, so a batch is fetched and written again), the next one connects
    /// anew, or fails as unavailable while the server is away.
    fn client(&self) -> Result<Conn<'_>, StoreError> {
        let mut guard = self.client.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            None => {
                return Err(StoreError::Io {
                    store: self.target.to_string(),
                    message: "the connection is closed".into(),
                });
            }
            Some(c) if c.is_closed() => {
                tracing::warn!(store = %self.target, "the database connection was lost: connecting again");
                let mut fresh = dial(&self.pg)?;
                fresh.batch_execute(&session_settings(&self.pg, self.readonly))?;
                *guard = Some(fresh);
            }
            Some(_) => {}
        }
        Ok(Conn(guard))
    }

    /// The store's schema version, `None` when the database holds no store.
    fn version(&mut self, target: &PgTarget) -> Result<Option<i64>, StoreError> {
        let table = format!("{}.schema_version", ident(&target.schema));
        let mut c = self.client()?;
        let present: Option<String> = c.query_one("SELECT to_regclass($1)::text", &[&table])?.try_get(0)?;
        if present.is_none() {
            return Ok(None);
        }
        let v: Option<i64> =
            c.query_one(&format!("SELECT MAX(version)::bigint FROM {table}"), &[])?.try_get(0)?;
        Ok(Some(v.unwrap_or(0)))
    }

    /// Creates the schema and applies the migrations this store lacks, all in one transaction
    /// under an advisory lock: a second daemon starting at the same time waits, then finds the
    /// store migrated.
    fn migrate(&mut self, target: &PgTarget) -> Result<(), StoreError> {
        let schema = ident(&target.schema);
        let name = target.to_string();
        let known = MIGRATIONS.len() as i64;
        if self.version(target)?.is_some_and(|v| v == known) {
            return Ok(());
        }
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_version (version BIGINT NOT NULL, applied_at TEXT NOT NULL);
             SET LOCAL search_path TO {schema}"
        ))?;
        let v: i64 =
            tx.query_one("SELECT COALESCE(MAX(version), 0)::bigint FROM schema_version", &[])?.try_get(0)?;
        if v > known {
            return Err(StoreError::TooNew { store: name, found: v, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[&(i as i64 + 1), &super::columns::now_rfc3339()],
            )?;
            tracing::debug!(version = i + 1, "store schema migrated");
        }
        tx.commit()?;
        Ok(())
    }
}

/// A connection to the target's database, logged in and (unless on loopback without a CA)
/// over verified TLS.
fn dial(target: &PgTarget) -> Result<Client, StoreError> {
    let name = target.to_string();
    let io = |message: String| StoreError::Io { store: name.clone(), message };
    let mut config = postgres::Config::new();
    config
        .user(&target.user)
        .host(&target.host)
        .port(target.port)
        .dbname(&target.database)
        .application_name("urpmail")
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(60));
    match &target.password {
        PgPassword::None => {}
        PgPassword::File(p) => {
            config.password(crate::config::read_password_file(p).map_err(io)?);
        }
        PgPassword::Env(var) => {
            let pw = std::env::var(var)
                .map_err(|_| io(format!("environment variable {var} (password_env) is not set")))?;
            config.password(pw);
        }
    }
    let client = match target.tls() {
        PgTls::None => {
            config.ssl_mode(postgres::config::SslMode::Disable);
            config.connect(NoTls)?
        }
        tls => {
            config.ssl_mode(postgres::config::SslMode::Require);
            let ca = match &tls {
                PgTls::CaFile(ca) => Some(ca.as_path()),
                _ => None,
            };
            let tls_config = crate::tls::client_config(ca, "the database server").map_err(io)?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config))?
        }
    };
    Ok(client)
}

/// What a session needs set after connecting: the store's schema; read-only transactions for a
/// reading store.
fn session_settings(target: &PgTarget, readonly: bool) -> String {
    let mut sql = format!("SET search_path TO {}", ident(&target.schema));
    if readonly {
        sql.push_str("; SET default_transaction_read_only = on");
    }
    sql
}

/// A schema name as an SQL identifier (validated names only reach here; quoting keeps it so).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A column of a row, as a store error when its type is not the expected one (never a panic).
fn col<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T, StoreError> {
    Ok(r.try_get(i)?)
}

/// A status column.
fn status(r: &Row, i: usize) -> Result<Status, StoreError> {
    let s: String = col(r, i)?;
    Status::parse(&s).ok_or_else(|| StoreError::Io {
        store: String::new(),
        message: format!("unknown message status {s:?}"),
    })
}

/// A review reasons column.
fn reasons(r: &Row, i: usize) -> Result<Vec<crate::domain::ReviewReason>, StoreError> {
    let s: String = col(r, i)?;
    super::columns::split_reasons(&s).map_err(|message| StoreError::Io { store: String::new(), message })
}

/// The first location of a message, in four columns from `at` (a LEFT JOIN LATERAL `l`).
fn joined_location(r: &Row, at: usize) -> Result<Option<crate::domain::Location>, StoreError> {
    let account: Option<String> = col(r, at)?;
    Ok(match account {
        Some(a) => {
            Some(super::columns::location_from_columns(a, col(r, at + 1)?, col(r, at + 2)?, col(r, at + 3)?))
        }
        None => None,
    })
}

/// The first location of each message `m`, for the queries that re-read or show it.
const FIRST_LOCATION: &str = "LEFT JOIN LATERAL (SELECT account, mailbox, uidvalidity, uid FROM locations
        WHERE message_id = m.id ORDER BY seq LIMIT 1) l ON TRUE";
