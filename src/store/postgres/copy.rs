//! `store copy` on PostgreSQL: a table's rows read in order, and written with their ids in one
//! transaction, the identities moved past them, the learned models' bytes stored.

use std::collections::BTreeMap;

use postgres::types::ToSql;

use super::{Postgres, col};
use crate::store::StoreError;
use crate::store::copy::{Kind, Order, Rows, Table, Value};

fn cast(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "bigint",
        Kind::Real => "double precision",
        Kind::Text => "text",
        Kind::Bool => "boolean",
    }
}

impl Postgres {
    /// `Store::read_table` on PostgreSQL.
    pub(crate) fn read_table(&self, t: &Table) -> Result<Rows, StoreError> {
        let cols: Vec<String> = t.columns.iter().map(|(c, k)| format!("{c}::{}", cast(*k))).collect();
        let order = match t.order {
            Order::Columns(c) => c,
            Order::Insertion => "seq",
        };
        let rows = self
            .client()?
            .query(&format!("SELECT {} FROM {} ORDER BY {order}", cols.join(", "), t.name), &[])?;
        rows.iter()
            .map(|r| {
                t.columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Kind::Int => col::<Option<i64>>(r, i)?.map_or(Value::Null, Value::Int),
                            Kind::Real => col::<Option<f64>>(r, i)?.map_or(Value::Null, Value::Real),
                            Kind::Text => col::<Option<String>>(r, i)?.map_or(Value::Null, Value::Text),
                            Kind::Bool => col::<Option<bool>>(r, i)?.map_or(Value::Null, Value::Bool),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// `Store::write_tables` on PostgreSQL.
    pub(crate) fn write_tables(
        &mut self,
        tables: &[(&Table, Rows)],
        bodies: &BTreeMap<String, Vec<u8>>,
    ) -> Result<(), StoreError> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction()?;
        for (t, rows) in tables {
            let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
            let marks: Vec<String> =
                t.columns.iter().enumerate().map(|(i, (_, k))| format!("${}::{}", i + 1, cast(*k))).collect();
            let stmt = tx.prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.name,
                cols.join(", "),
                marks.join(", ")
            ))?;
            for row in rows {
                let values: Vec<Box<dyn ToSql + Sync>> = t
                    .columns
                    .iter()
                    .zip(row)
                    .map(|((_, kind), v)| -> Box<dyn ToSql + Sync> {
                        match (kind, v) {
                            (Kind::Int, Value::Int(i)) => Box::new(Some(*i)),
                            (Kind::Int, Value::Bool(b)) => Box::new(Some(i64::from(*b))),
                            (Kind::Int, _) => Box::new(None::<i64>),
                            (Kind::Real, Value::Real(f)) => Box::new(Some(*f)),
                            (Kind::Real, Value::Int(i)) => Box::new(Some(*i as f64)),
                            (Kind::Real, _) => Box::new(None::<f64>),
                            (Kind::Text, Value::Text(s)) => Box::new(Some(s.clone())),
                            (Kind::Text, _) => Box::new(None::<String>),
                            (Kind::Bool, Value::Bool(b)) => Box::new(Some(*b)),
                            (Kind::Bool, Value::Int(i)) => Box::new(Some(*i != 0)),
                            (Kind::Bool, _) => Box::new(None::<bool>),
                        }
                    })
                    .collect();
                let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|b| b.as_ref()).collect();
                tx.execute(&stmt, &refs)?;
            }
            if let Some(id) = t.identity {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', '{id}'), COALESCE((SELECT MAX({id}) FROM {0}), 0) + 1, false)",
                        t.name
                    ),
                    &[],
                )?;
            }
        }
        for (version, body) in bodies {
            tx.execute("UPDATE models SET body = $2 WHERE version = $1", &[version, body])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// `Store::count_rows` on PostgreSQL.
    pub(crate) fn count_rows(&self, t: &Table) -> Result<u64, StoreError> {
        let row = self.client()?.query_one(&format!("SELECT COUNT(*) FROM {}", t.name), &[])?;
        Ok(col::<i64>(&row, 0)? as u64)
    }
}
