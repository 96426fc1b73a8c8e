INSERT INTO locations (message_id, account, mailbox, uidvalidity, uid) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT DO NOTHING
