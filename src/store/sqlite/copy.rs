//! `store copy` on SQLite: a table's rows read in order, and written with their ids.

use rusqlite::types::ValueRef;
use rusqlite::{ToSql, params_from_iter};

use super::Sqlite;
use crate::store::StoreError;
use crate::store::copy::{Kind, Order, Rows, Table, Value};

impl Sqlite {
    /// `Store::read_table` on SQLite.
    pub(crate) fn read_table(&self, t: &Table) -> Result<Rows, StoreError> {
        let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
        let order = match t.order {
            Order::Columns(c) => c,
            Order::Insertion => "rowid",
        };
        let mut stmt =
            self.conn.prepare(&format!("SELECT {} FROM {} ORDER BY {order}", cols.join(", "), t.name))?;
        let rows = stmt.query_map([], |r| {
            t.columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match (r.get_ref(i)?, kind) {
                        (ValueRef::Null, _) => Value::Null,
                        (ValueRef::Integer(v), Kind::Bool) => Value::Bool(v != 0),
                        (ValueRef::Integer(v), Kind::Real) => Value::Real(v as f64),
                        (ValueRef::Integer(v), _) => Value::Int(v),
                        (ValueRef::Real(v), _) => Value::Real(v),
                        (ValueRef::Text(s), _) => Value::Text(String::from_utf8_lossy(s).into_owned()),
                        (ValueRef::Blob(b), _) => Value::Text(String::from_utf8_lossy(b).into_owned()),
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `Store::write_tables` on SQLite: every row in one transaction (the model bytes are the
    /// files `store copy` wrote).
    pub(crate) fn write_tables(&mut self, tables: &[(&Table, Rows)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (t, rows) in tables {
            let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let mut stmt = tx.prepare(&format!(
                "INSERT INTO {} ({}) VALUES ({})",
                t.name,
                cols.join(", "),
                marks.join(", ")
            ))?;
            for row in rows {
                let values: Vec<rusqlite::types::Value> = row
                    .iter()
                    .map(|v| match v {
                        Value::Null => rusqlite::types::Value::Null,
                        Value::Int(i) => rusqlite::types::Value::Integer(*i),
                        Value::Real(f) => rusqlite::types::Value::Real(*f),
                        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                        Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
                    })
                    .collect();
                stmt.execute(params_from_iter(values.iter().map(|v| v as &dyn ToSql)))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// `Store::count_rows` on SQLite.
    pub(crate) fn count_rows(&self, t: &Table) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(&format!("SELECT COUNT(*) FROM {}", t.name), [], |r| r.get::<_, i64>(0))?
            as u64)
    }
}
