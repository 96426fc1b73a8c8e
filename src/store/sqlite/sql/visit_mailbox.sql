INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, exists_count, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = ?3, last_uid = ?4, exists_count = ?5, updated_at = ?6
