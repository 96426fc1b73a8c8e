INSERT INTO checkpoints (account, mailbox, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = ?3,
    last_uid = MAX(CASE WHEN checkpoints.uidvalidity = ?3 THEN checkpoints.last_uid ELSE 0 END, ?4),
    updated_at = ?5
