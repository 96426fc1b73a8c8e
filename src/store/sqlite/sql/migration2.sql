-- migration 2: what the review loop needs.
-- The sender's domain (never the address) and the decision's explanation (top topics with
-- scores, rules that fired, the model's top terms) for the review report.
ALTER TABLE messages ADD COLUMN sender_domain TEXT;
ALTER TABLE messages ADD COLUMN explanation TEXT;
-- 1 once staff confirmed or corrected the topic.
ALTER TABLE messages ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;

-- One row per applied review file.
CREATE TABLE correction_batches (
    id          INTEGER PRIMARY KEY,
    applied_at  TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    file        TEXT NOT NULL,
    model_before TEXT,
    model_after TEXT,
    undone_at   TEXT
);

-- The audit trail: who changed what, when.
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES correction_batches(id),
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    kind        TEXT NOT NULL CHECK (kind IN ('correction', 'confirmation')),
    old_topic   TEXT NOT NULL,
    new_topic   TEXT NOT NULL,
    old_status  TEXT NOT NULL,
    old_decided_by TEXT NOT NULL,
    old_review  INTEGER NOT NULL,
    old_tipologia TEXT,
    new_tipologia TEXT,
    note        TEXT,
    year        INTEGER,
    trained     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX corrections_message ON corrections (message_id);

-- Theme tables written to files (for "changed after export" notes).
CREATE TABLE exports (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL,
    exported_at TEXT NOT NULL,
    file        TEXT NOT NULL
);
