-- migration 5: outcomes are typed up to the store edge.
-- * A skipped message's kind has its own column, written from the program's `SkipKind`; the
--   counts and the retention aggregates group by it instead of cutting the reason text at ':'.
--   Rows written before have only the text: their kind is derived here, once, by the rule the
--   older queries used (a unit test holds every `SkipKind` to that rule).
-- * A skipped message has no text, so no topic, confidence or decision: those columns become
--   nullable. Dropping NOT NULL does not touch the stored rows (SQLite's documented in-place
--   schema edit, https://sqlite.org/lang_altertable.html#otheralter, as in migration 4). Rows
--   written before keep their values. The schema version is bumped by `Store::migrate` right after.
ALTER TABLE messages ADD COLUMN skip_kind TEXT;
UPDATE messages
   SET skip_kind = CASE WHEN instr(skip_reason, ':') > 0
                        THEN substr(skip_reason, 1, instr(skip_reason, ':') - 1)
                        ELSE skip_reason END
 WHERE status = 'skipped';
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(replace(replace(sql,
       'topic           TEXT NOT NULL,', 'topic           TEXT,'),
       'confidence      REAL NOT NULL,', 'confidence      REAL,'),
       'decided_by      TEXT NOT NULL,', 'decided_by      TEXT,')
 WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = OFF;
