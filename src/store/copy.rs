//! `urpmail store copy`: a store moved exactly from one backend to the other (or to a new file
//! or database of the same kind). Every table is copied row by row with its ids, in its order,
//! into an empty store in one transaction; learned models travel with it (a file store's model
//! files become the database's model bytes, and back). Then both stores are counted table by
//! table and their theme counts compared.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Store, StoreError, StoreTarget};

/// A column's kind: how each backend stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Real,
    Text,
    /// 0/1 in SQLite, BOOLEAN in PostgreSQL.
    Bool,
}

/// A value on its way between backends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

/// A table as both backends hold it: its columns in order, the column that orders its rows.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Kind)],
    /// How rows are read in order (`rowid` in SQLite is `seq` in PostgreSQL for the tables
    /// without an id).
    pub(crate) order: Order,
    /// The identity column to move past the copied ids (PostgreSQL).
    pub(crate) identity: Option<&'static str>,
}

/// The order of a table's rows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Order {
    /// By these columns.
    Columns(&'static str),
    /// By insertion: SQLite's rowid, PostgreSQL's `seq`.
    Insertion,
}

use Kind::{Bool, Int, Real, Text};

/// Every table of a store, parents before children.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "runs",
        columns: &[
            ("id", Int),
            ("kind", Text),
            ("started_at", Text),
            ("finished_at", Text),
            ("status", Text),
            ("fetched", Int),
            ("classified", Int),
            ("excluded", Text),
            ("skipped", Text),
            ("duplicates", Int),
            ("errors", Int),
            ("error", Text),
            ("model_version", Text),
            ("undone_at", Text),
        ],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "ente",
        columns: &[("id", Text), ("name", Text)],
        order: Order::Columns("id"),
        identity: None,
    },
    Table {
        name: "messages",
        columns: &[
            ("id", Int),
            ("content_key", Text),
            ("message_date", Text),
            ("date_source", Text),
            ("year", Int),
            ("month", Int),
            ("channel", Text),
            ("status", Text),
            ("topic", Text),
            ("confidence", Real),
            ("decided_by", Text),
            ("review", Bool),
            ("review_reasons", Text),
            ("tipologia", Text),
            ("exclusion", Text),
            ("exclusion_strong", Bool),
            ("skip_reason", Text),
            ("taxonomy", Text),
            ("rules_version", Text),
            ("model_version", Text),
            ("snippet", Text),
            ("run_id", Int),
            ("recorded_at", Text),
            ("sender_domain", Text),
            ("explanation", Text),
            ("reviewed", Bool),
            ("skip_kind", Text),
        ],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "locations",
        columns: &[
            ("message_id", Int),
            ("account", Text),
            ("mailbox", Text),
            ("uidvalidity", Int),
            ("uid", Int),
        ],
        order: Order::Insertion,
        identity: Some("seq"),
    },
    Table {
        name: "checkpoints",
        columns: &[
            ("account", Text),
            ("mailbox", Text),
            ("uidvalidity", Int),
            ("last_uid", Int),
            ("exists_count", Int),
            ("updated_at", Text),
            ("synced_at", Text),
            ("last_error", Text),
            ("last_error_at", Text),
        ],
        order: Order::Columns("account, mailbox"),
        identity: None,
    },
    Table {
        name: "correction_batches",
        columns: &[
            ("id", Int),
            ("applied_at", Text),
            ("reviewer", Text),
            ("file", Text),
            ("model_before", Text),
            ("model_after", Text),
            ("undone_at", Text),
        ],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "corrections",
        columns: &[
            ("id", Int),
            ("batch_id", Int),
            ("message_id", Int),
            ("kind", Text),
            ("old_topic", Text),
            ("new_topic", Text),
            ("old_status", Text),
            ("old_decided_by", Text),
            ("old_review", Bool),
            ("old_tipologia", Text),
            ("new_tipologia", Text),
            ("note", Text),
            ("year", Int),
            ("trained", Bool),
            ("old_review_reasons", Text),
        ],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "exports",
        columns: &[("id", Int), ("year", Int), ("exported_at", Text), ("file", Text)],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "aggregates",
        columns: &[
            ("year", Int),
            ("month", Int),
            ("channel", Text),
            ("status", Text),
            ("key", Text),
            ("tipologia", Text),
            ("count", Int),
            ("review", Int),
        ],
        order: Order::Columns("year, month, channel, status, key, tipologia, count"),
        identity: None,
    },
    Table {
        name: "pruned",
        columns: &[("content_key", Text)],
        order: Order::Columns("content_key"),
        identity: None,
    },
    Table {
        name: "models",
        columns: &[
            ("version", Text),
            ("parent_version", Text),
            ("file", Text),
            ("created_at", Text),
            ("batch_id", Int),
            ("documents", Int),
        ],
        order: Order::Insertion,
        identity: Some("seq"),
    },
    Table {
        name: "model_activations",
        columns: &[("id", Int), ("version", Text), ("activated_at", Text), ("reason", Text)],
        order: Order::Columns("id"),
        identity: Some("id"),
    },
    Table {
        name: "reclassified",
        columns: &[
            ("run_id", Int),
            ("message_id", Int),
            ("year", Int),
            ("old_status", Text),
            ("old_topic", Text),
            ("old_confidence", Real),
            ("old_decided_by", Text),
            ("old_review", Bool),
            ("old_review_reasons", Text),
            ("old_tipologia", Text),
            ("old_exclusion", Text),
            ("old_exclusion_strong", Bool),
            ("old_rules_version", Text),
            ("old_model_version", Text),
            ("old_explanation", Text),
            ("old_run_id", Int),
            ("new_status", Text),
            ("new_topic", Text),
        ],
        order: Order::Columns("run_id, message_id"),
        identity: None,
    },
];

/// A table's rows.
pub(crate) type Rows = Vec<Vec<Value>>;

/// What a copy moved, table by table, and what the check found.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    /// Rows per table, equal on both sides.
    pub rows: BTreeMap<&'static str, u64>,
    /// Learned models whose bytes travelled (files into the database, or the database's bytes
    /// into files).
    pub models: u64,
    /// Learned models whose bytes were not found (removed by retention): their versions travel.
    pub models_missing: Vec<String>,
    /// Distinct messages, counted on both sides after the copy.
    pub messages: u64,
}

/// Copies the store at `from` into `to`, which must be new or empty. Nothing is written to `to`
/// unless every row was read; the destination is written in one transaction.
pub fn copy(from: &StoreTarget, to: &StoreTarget) -> Result<Copied, StoreError> {
    let refuse = |message: String| StoreError::Io { store: to.to_string(), message };
    if from == to {
        return Err(refuse("the source and the destination are the same store".into()));
    }
    let source = Store::open_readonly(from).map_err(|e| e.at(from))?;
    // An ente's store goes to that ente's schema of a shared database, where its configuration
    // (`[ente] id`) will look for it.
    if let (Some((id, _)), StoreTarget::Postgres(pg)) = (source.ente().map_err(|e| e.at(from))?, to) {
        let schema = super::ente_schema(&id).map_err(refuse)?;
        if pg.schema != schema {
            return Err(refuse(format!(
                "the source is the store of ente {id:?}: copy it into that ente's place in the database, adding ente={id} to the URL's parameters"
            )));
        }
    }
    let mut dest = Store::open(to).map_err(|e| e.at(to))?;
    if dest.message_count().map_err(|e| e.at(to))? > 0 || dest.last_run().map_err(|e| e.at(to))?.is_some() {
        return Err(refuse(
            "the destination already holds a store: copy into a new file or an empty database (or schema)"
                .into(),
        ));
    }
    let mut tables: Vec<(&'static Table, Rows)> = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        tables.push((t, source.read_table(t).map_err(|e| e.at(from))?));
    }
    // The learned models' bytes: from the source's files or its database.
    let mut copied = Copied::default();
    let mut bodies: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for m in source.learned_models().map_err(|e| e.at(from))? {
        let bytes = match (&m.file, m.in_store) {
            (_, true) => source.model_bytes(&m.version).map_err(|e| e.at(from))?,
            (Some(f), false) => std::fs::read(f).ok(),
            (None, false) => None,
        };
        match bytes {
            Some(b) => {
                bodies.insert(m.version.clone(), b);
            }
            None => copied.models_missing.push(m.version.clone()),
        }
    }
    // A file store gets its models as files in its own models folder.
    if let (Some(dir), Some(models)) = (to.models_dir(), tables.iter_mut().find(|(t, _)| t.name == "models"))
    {
        if !bodies.is_empty() {
            std::fs::create_dir_all(&dir)
                .map_err(|e| refuse(format!("cannot create the models folder {}: {e}", dir.display())))?;
        }
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        for row in &mut models.1 {
            let Some(Value::Text(version)) = row.first().cloned() else { continue };
            row[2] = match bodies.get(&version) {
                Some(bytes) => {
                    let path: PathBuf = dir.join(format!("{version}.model"));
                    std::fs::write(&path, bytes)
                        .map_err(|e| refuse(format!("cannot write {}: {e}", path.display())))?;
                    Value::Text(path.display().to_string())
                }
                None => Value::Null,
            };
        }
    } else if let Some(models) = tables.iter_mut().find(|(t, _)| t.name == "models") {
        // A database keeps the bytes: a file path from another machine means nothing there.
        for row in &mut models.1 {
            row[2] = Value::Null;
        }
    }
    copied.models = bodies.len() as u64;
    dest.write_tables(&tables, &bodies).map_err(|e| e.at(to))?;
    drop(dest);

    // The check: both stores, read afresh, hold the same rows and the same counts.
    let written = Store::open_readonly(to).map_err(|e| e.at(to))?;
    for (t, rows) in &tables {
        let n = written.count_rows(t).map_err(|e| e.at(to))?;
        if n != rows.len() as u64 {
            return Err(refuse(format!(
                "verification failed: {} has {n} rows in the copy, {} in the source",
                t.name,
                rows.len()
            )));
        }
        copied.rows.insert(t.name, n);
    }
    let (a, b) = (source.counts().map_err(|e| e.at(from))?, written.counts().map_err(|e| e.at(to))?);
    if a != b {
        return Err(refuse(
            "verification failed: the theme counts of the copy differ from the source's".into(),
        ));
    }
    copied.messages = written.message_count().map_err(|e| e.at(to))?;
    if copied.messages != source.message_count().map_err(|e| e.at(from))? {
        return Err(refuse(
            "verification failed: the message count of the copy differs from the source's".into(),
        ));
    }
    Ok(copied)
}
