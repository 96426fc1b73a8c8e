-- migration 4: the status CHECK of messages written as comparisons. SQLite evaluates
-- "IN (three values)" by building a temporary b-tree for every inserted row, which was a third
-- of the cost of storing a message. The constraint is the same, so only the schema text
-- changes: SQLite's documented procedure for editing a CHECK constraint in place
-- (https://sqlite.org/lang_altertable.html#otheralter); the stored rows are untouched. The
-- schema version is bumped by `Store::migrate` right after.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (status IN (''classified'', ''excluded'', ''skipped''))',
       'CHECK (status = ''classified'' OR status = ''excluded'' OR status = ''skipped'')')
 WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = OFF;
