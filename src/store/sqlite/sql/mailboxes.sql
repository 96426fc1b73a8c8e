SELECT account, mailbox, uidvalidity, last_uid, exists_count, updated_at FROM checkpoints ORDER BY 1, 2
