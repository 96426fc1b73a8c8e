SELECT account, mailbox, uidvalidity, uid FROM locations WHERE message_id = ?1 ORDER BY rowid LIMIT 1
