-- urpmail store schema. Migrations are applied in order by PRAGMA user_version (see mod.rs).
-- Privacy: no bodies, subjects or addresses; a message is a hashed content key plus the facts the
-- theme tables need.

-- migration 1
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    content_key     TEXT NOT NULL UNIQUE,      -- hash of Message-ID, else of stable headers/body
    message_date    TEXT,                      -- RFC 3339 with the message's own offset; NULL if none
    date_source     TEXT NOT NULL,
    year            INTEGER,                   -- local year/month in the message's own offset
    month           INTEGER,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'pec')),
    status          TEXT NOT NULL CHECK (status IN ('classified', 'excluded', 'skipped')),
    topic           TEXT NOT NULL,             -- always set (for excluded mail: what the text would be)
    confidence      REAL NOT NULL,
    decided_by      TEXT NOT NULL,
    review          INTEGER NOT NULL,          -- 0/1, only meaningful for classified mail
    review_reasons  TEXT NOT NULL,             -- comma-separated
    tipologia       TEXT,
    exclusion       TEXT,
    exclusion_strong INTEGER,
    skip_reason     TEXT,
    taxonomy        TEXT NOT NULL,
    rules_version   TEXT,
    model_version   TEXT,
    snippet         TEXT,                      -- redacted, only when store_snippets = true
    run_id          INTEGER NOT NULL REFERENCES runs(id),
    recorded_at     TEXT NOT NULL
);
CREATE INDEX messages_period ON messages (year, month);

-- Where each message was seen. A message delivered to two watched mailboxes has two locations
-- and one row in messages.
CREATE TABLE locations (
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    account     TEXT NOT NULL,                 -- '' for local files
    mailbox     TEXT NOT NULL,                 -- the path for local files
    uidvalidity INTEGER NOT NULL,              -- 0 for local files
    uid         INTEGER NOT NULL,              -- index inside an mbox, else 0 for local files
    PRIMARY KEY (account, mailbox, uidvalidity, uid)
);
CREATE INDEX locations_message ON locations (message_id);

-- One checkpoint per watched mailbox: the UIDVALIDITY it belongs to and the highest UID whose
-- decision is stored. Advanced in the same transaction as those decisions.
CREATE TABLE checkpoints (
    account     TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    exists_count INTEGER,                      -- EXISTS at the last visit, for the backlog
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (account, mailbox)
);

-- The run ledger.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- poll | ingest
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,                 -- running | ok | failed | interrupted
    fetched     INTEGER NOT NULL DEFAULT 0,
    classified  INTEGER NOT NULL DEFAULT 0,
    excluded    TEXT NOT NULL DEFAULT '{}',    -- JSON {reason: n}
    skipped     TEXT NOT NULL DEFAULT '{}',    -- JSON {reason: n}
    duplicates  INTEGER NOT NULL DEFAULT 0,
    errors      INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
