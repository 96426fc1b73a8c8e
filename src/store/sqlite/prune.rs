//! Retention: drop snippets and fold old messages into the aggregates, keeping the counts.

use rusqlite::params;

use super::Sqlite;
use crate::store::StoreError;

impl Sqlite {
    /// `Store::prune` on SQLite.
    pub(crate) fn prune(&mut self, cutoff: &str, snippets_only: bool) -> Result<(u64, u64), StoreError> {
        let tx = self.conn.transaction()?;
        let old = "message_date IS NOT NULL AND substr(message_date, 1, 10) < ?1";
        let snippets = tx.execute(
            &format!("UPDATE messages SET snippet = NULL WHERE snippet IS NOT NULL AND {old}"),
            params![cutoff],
        )? as u64;
        let mut rows = 0;
        if !snippets_only {
            tx.execute(
                &format!(
                    "INSERT INTO aggregates (year, month, channel, status, key, tipologia, count, review)
                     SELECT year, month, channel, status,
                       CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE skip_kind END,
                       tipologia, COUNT(*), SUM(review)
                     FROM messages WHERE {old} GROUP BY 1, 2, 3, 4, 5, 6"
                ),
                params![cutoff],
            )?;
            tx.execute(
                &format!(
                    "INSERT OR IGNORE INTO pruned (content_key) SELECT content_key FROM messages WHERE {old}"
                ),
                params![cutoff],
            )?;
            let ids = format!("SELECT id FROM messages WHERE {old}");
            tx.execute(&format!("DELETE FROM corrections WHERE message_id IN ({ids})"), params![cutoff])?;
            tx.execute(&format!("DELETE FROM reclassified WHERE message_id IN ({ids})"), params![cutoff])?;
            tx.execute(&format!("DELETE FROM locations WHERE message_id IN ({ids})"), params![cutoff])?;
            rows = tx.execute(&format!("DELETE FROM messages WHERE {old}"), params![cutoff])? as u64;
        }
        tx.commit()?;
        Ok((snippets, rows))
    }
}
