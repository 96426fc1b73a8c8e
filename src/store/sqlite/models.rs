//! The models a store learned, which one is active, and their lineage.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, now_rfc3339};
use crate::store::{BatchModels, ModelRecord, StoreError};

/// The first schema version with the `models` tables (a read-only connection does not migrate).
const MODELS_SINCE: i64 = 6;

fn model_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ModelRecord> {
    Ok(ModelRecord {
        version: r.get(0)?,
        parent_version: r.get(1)?,
        file: r.get::<_, Option<String>>(2)?.map(PathBuf::from),
        created_at: r.get(3)?,
        batch_id: r.get(4)?,
        documents: r.get::<_, i64>(5)? as u64,
        in_store: false,
    })
}

const MODEL_COLUMNS: &str = "version, parent_version, file, created_at, batch_id, documents";

impl Sqlite {
    /// `Store::model_bytes` on SQLite: its models are files.
    pub(crate) fn model_bytes(&self, _version: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }

    /// `Store::record_model` on SQLite (the model is in its file).
    pub(crate) fn record_model(
        &mut self,
        m: &ModelRecord,
        _bytes: &[u8],
        reason: &str,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO models ({MODEL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (version) DO UPDATE SET file = ?3"
            ),
            params![
                m.version,
                m.parent_version,
                m.file.as_ref().map(|p| p.to_string_lossy().into_owned()),
                m.created_at,
                m.batch_id,
                m.documents as i64
            ],
        )?;
        tx.execute(
            "INSERT INTO model_activations (version, activated_at, reason) VALUES (?1, ?2, ?3)",
            params![m.version, now_rfc3339(), reason],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `Store::activate_model` on SQLite.
    pub(crate) fn activate_model(&mut self, version: Option<&str>, reason: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO model_activations (version, activated_at, reason) VALUES (?1, ?2, ?3)",
            params![version, now_rfc3339(), reason],
        )?;
        Ok(())
    }

    /// `Store::active_model` on SQLite.
    pub(crate) fn active_model(&self) -> Result<Option<ModelRecord>, StoreError> {
        if self.user_version()? < MODELS_SINCE {
            return Ok(None);
        }
        let version: Option<Option<String>> = self
            .conn
            .query_row("SELECT version FROM model_activations ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
            .optional()?;
        match version.flatten() {
            Some(v) => self.model(&v),
            None => Ok(None),
        }
    }

    /// `Store::model` on SQLite.
    pub(crate) fn model(&self, version: &str) -> Result<Option<ModelRecord>, StoreError> {
        if self.user_version()? < MODELS_SINCE {
            return Ok(None);
        }
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {MODEL_COLUMNS} FROM models WHERE version = ?1"),
                params![version],
                model_row,
            )
            .optional()?)
    }

    /// `Store::learned_models` on SQLite.
    pub(crate) fn learned_models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        if self.user_version()? < MODELS_SINCE {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(&format!("SELECT {MODEL_COLUMNS} FROM models ORDER BY rowid"))?;
        let rows = stmt.query_map([], model_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `Store::forget_model_file` on SQLite.
    pub(crate) fn forget_model_file(&mut self, version: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE models SET file = NULL WHERE version = ?1", params![version])?;
        Ok(())
    }

    /// `Store::batch_models` on SQLite.
    pub(crate) fn batch_models(&self, batch: i64) -> Result<Option<BatchModels>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT model_before, model_after FROM correction_batches WHERE id = ?1",
                params![batch],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// `Store::set_run_model` on SQLite.
    pub(crate) fn set_run_model(&mut self, run: i64, version: Option<&str>) -> Result<(), StoreError> {
        if self.user_version()? < MODELS_SINCE {
            return Ok(());
        }
        self.conn.execute("UPDATE runs SET model_version = ?2 WHERE id = ?1", params![run, version])?;
        Ok(())
    }
}

/// The first schema version with the `ente` table.
const ENTE_SINCE: i64 = 8;

impl Sqlite {
    /// `Store::ente` on SQLite.
    pub(crate) fn ente(&self) -> Result<Option<(String, String)>, StoreError> {
        if self.user_version()? < ENTE_SINCE {
            return Ok(None);
        }
        Ok(self
            .conn
            .query_row("SELECT id, name FROM ente LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// `Store::claim_ente`'s write on SQLite.
    pub(crate) fn set_ente(&mut self, id: &str, name: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM ente", [])?;
        tx.execute("INSERT INTO ente (id, name) VALUES (?1, ?2)", params![id, name])?;
        tx.commit()?;
        Ok(())
    }
}
