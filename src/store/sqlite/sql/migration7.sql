-- migration 7: truthful status. Per watched mailbox, when it was last synced completely and the
-- last error of a sync (kept after a later success, with its time, so `status` can tell which
-- came last). A mailbox that failed before its first visit gets a row with UIDVALIDITY 0.
ALTER TABLE checkpoints ADD COLUMN synced_at TEXT;
ALTER TABLE checkpoints ADD COLUMN last_error TEXT;
ALTER TABLE checkpoints ADD COLUMN last_error_at TEXT;
