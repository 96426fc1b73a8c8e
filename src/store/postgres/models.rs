//! The models a store learned, which one is active, and their lineage. A PostgreSQL store keeps
//! each learned model's bytes in the database, so the daemons of every machine use it.

use std::path::PathBuf;

use postgres::Row;

use super::super::columns::now_rfc3339;
use super::{Postgres, col};
use crate::store::{BatchModels, ModelRecord, StoreError};

const MODEL_COLUMNS: &str =
    "version, parent_version, file, created_at, batch_id, documents, body IS NOT NULL";

fn model_row(r: &Row) -> Result<ModelRecord, StoreError> {
    Ok(ModelRecord {
        version: col(r, 0)?,
        parent_version: col(r, 1)?,
        file: col::<Option<String>>(r, 2)?.map(PathBuf::from),
        created_at: col(r, 3)?,
        batch_id: col(r, 4)?,
        documents: col::<i64>(r, 5)? as u64,
        in_store: col(r, 6)?,
    })
}

impl Postgres {
    /// `Store::record_model` on PostgreSQL: the record, the model's bytes and its activation.
    pub(crate) fn record_model(
        &mut self,
        m: &ModelRecord,
        bytes: &[u8],
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        let file = m.file.as_ref().map(|p| p.to_string_lossy().into_owned());
        tx.execute(
            "INSERT INTO models (version, parent_version, file, created_at, batch_id, documents, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (version) DO UPDATE SET file = $3, body = $7",
            &[
                &m.version,
                &m.parent_version,
                &file,
                &m.created_at,
                &m.batch_id,
                &(m.documents as i64),
                &bytes,
            ],
        )?;
        tx.execute(
            "INSERT INTO model_activations (version, activated_at, reason) VALUES ($1, $2, $3)",
            &[&m.version, &now_rfc3339(), &reason],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `Store::model_bytes` on PostgreSQL.
    pub(crate) fn model_bytes(&self, version: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.client()?.query_opt("SELECT body FROM models WHERE version = $1", &[&version])?;
        Ok(row.map(|r| col::<Option<Vec<u8>>>(&r, 0)).transpose()?.flatten())
    }

    /// `Store::activate_model` on PostgreSQL.
    pub(crate) fn activate_model(&mut self, version: Option<&str>, reason: &str) -> Result<(), StoreError> {
        self.client()?.execute(
            "INSERT INTO model_activations (version, activated_at, reason) VALUES ($1, $2, $3)",
            &[&version, &now_rfc3339(), &reason],
        )?;
        Ok(())
    }

    /// `Store::active_model` on PostgreSQL.
    pub(crate) fn active_model(&self) -> Result<Option<ModelRecord>, StoreError> {
        let row = self
            .client()?
            .query_opt("SELECT version FROM model_activations ORDER BY id DESC LIMIT 1", &[])?;
        match row.map(|r| col::<Option<String>>(&r, 0)).transpose()?.flatten() {
            Some(v) => self.model(&v),
            None => Ok(None),
        }
    }

    /// `Store::model` on PostgreSQL.
    pub(crate) fn model(&self, version: &str) -> Result<Option<ModelRecord>, StoreError> {
        let row = self
            .client()?
            .query_opt(&format!("SELECT {MODEL_COLUMNS} FROM models WHERE version = $1"), &[&version])?;
        row.as_ref().map(model_row).transpose()
    }

    /// `Store::learned_models` on PostgreSQL.
    pub(crate) fn learned_models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        let rows = self.client()?.query(&format!("SELECT {MODEL_COLUMNS} FROM models ORDER BY seq"), &[])?;
        rows.iter().map(model_row).collect()
    }

    /// `Store::forget_model_file` on PostgreSQL: the file and the bytes go.
    pub(crate) fn forget_model_file(&mut self, version: &str) -> Result<(), StoreError> {
        self.client()?
            .execute("UPDATE models SET file = NULL, body = NULL WHERE version = $1", &[&version])?;
        Ok(())
    }

    /// `Store::batch_models` on PostgreSQL.
    pub(crate) fn batch_models(&self, batch: i64) -> Result<Option<BatchModels>, StoreError> {
        let row = self
            .client()?
            .query_opt("SELECT model_before, model_after FROM correction_batches WHERE id = $1", &[&batch])?;
        row.map(|r| Ok((col(&r, 0)?, col(&r, 1)?))).transpose()
    }
}

impl Postgres {
    /// `Store::ente` on PostgreSQL.
    pub(crate) fn ente(&self) -> Result<Option<(String, String)>, StoreError> {
        let row = self.client()?.query_opt("SELECT id, name FROM ente LIMIT 1", &[])?;
        row.map(|r| Ok((col(&r, 0)?, col(&r, 1)?))).transpose()
    }

    /// `Store::claim_ente`'s write on PostgreSQL.
    pub(crate) fn set_ente(&mut self, id: &str, name: &str) -> Result<(), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        tx.execute("DELETE FROM ente", &[])?;
        tx.execute("INSERT INTO ente (id, name) VALUES ($1, $2)", &[&id, &name])?;
        tx.commit()?;
        Ok(())
    }
}
