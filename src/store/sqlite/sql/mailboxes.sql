SELECT account, mailbox, uidvalidity, last_uid, exists_count, updated_at, synced_at, last_error, last_error_at
    FROM checkpoints ORDER BY 1, 2
