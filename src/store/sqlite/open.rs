//! Opening, creating and migrating a store.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{MIGRATIONS, Sqlite, restrict_permissions};
use crate::store::StoreError;
use crate::store::StoreTarget;

impl Sqlite {
    /// Opens (creating if needed) a store for writing, migrates it, sets WAL mode.
    pub(crate) fn open(path: &Path) -> Result<Sqlite, StoreError> {
        if !path.exists() {
            Sqlite::create(path)?;
        }
        let conn = Connection::open(path)
            .map_err(|source| StoreError::Open { store: path.display().to_string(), source })?;
        let mut store = Sqlite::new(conn, path);
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Creates a new store under a temporary name and links it into place complete, so that a
    /// reader (`urpmail status` while the daemon starts for the first time) never sees a store
    /// without its tables. When two processes create the same store, the first link wins and
    /// both go on with it.
    fn create(path: &Path) -> Result<(), StoreError> {
        let name = path.file_name().map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{name}.creating-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp); // left by a crash of an earlier process with this pid
        let made = (|| {
            let conn = Connection::open(&tmp)
                .map_err(|source| StoreError::Open { store: path.display().to_string(), source })?;
            restrict_permissions(&tmp)?;
            let mut store = Sqlite::new(conn, path);
            store.configure()?;
            store.migrate()?;
            Ok(())
            // Closing checkpoints the WAL into the file and removes it.
        })();
        let linked = made.and_then(|()| match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            // A file system without hard links: a rename, unless the store appeared meanwhile.
            Err(_) if !path.exists() => std::fs::rename(&tmp, path).map_err(|e| StoreError::Io {
                store: path.display().to_string(),
                message: format!("cannot create the store: {e}"),
            }),
            Err(_) => Ok(()),
        });
        let _ = std::fs::remove_file(&tmp);
        linked
    }

    /// `Store::open_readonly` on SQLite.
    pub(crate) fn open_readonly(path: &Path) -> Result<Sqlite, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open { store: path.display().to_string(), source })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let store = Sqlite::new(conn, path);
        let v = store.user_version()?;
        if v > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                store: path.display().to_string(),
                found: v,
                known: MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    fn new(conn: Connection, path: &Path) -> Sqlite {
        Sqlite { conn, path: path.to_path_buf(), target: StoreTarget::File(path.to_path_buf()) }
    }

    /// `Store::target` on SQLite.
    pub(crate) fn target(&self) -> &StoreTarget {
        &self.target
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn.busy_timeout(std::time::Duration::from_secs(30))?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    pub(super) fn user_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let v = self.user_version()?;
        let known = MIGRATIONS.len() as i64;
        if v > known {
            return Err(StoreError::TooNew { store: self.path.display().to_string(), found: v, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(v as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if sql.contains("PRAGMA writable_schema = ON") {
                // The schema text was edited in place: a new schema version makes every
                // connection (a report reading while the daemon writes) reload it.
                let version: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
                tx.pragma_update(None, "schema_version", version + 1)?;
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::debug!(version = i + 1, "store schema migrated");
        }
        Ok(())
    }
}
