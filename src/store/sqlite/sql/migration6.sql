-- migration 6: the learning loop.
-- * The models this store learned: each `learn` writes a model file beside the store and records
--   it here with its parent (lineage). Retention may delete an old file: `file` becomes NULL.
CREATE TABLE models (
    version        TEXT PRIMARY KEY,
    parent_version TEXT,
    file           TEXT,
    created_at     TEXT NOT NULL,
    batch_id       INTEGER,
    documents      INTEGER NOT NULL DEFAULT 0
);
-- * Which model decides for this store: the newest activation wins. A NULL version means the
--   configured model (the built-in one unless the configuration names a file).
CREATE TABLE model_activations (
    id           INTEGER PRIMARY KEY,
    version      TEXT,
    activated_at TEXT NOT NULL,
    reason       TEXT NOT NULL
);
-- * A run records the model it decided with; `reclassify --undo` marks its run undone.
ALTER TABLE runs ADD COLUMN model_version TEXT;
ALTER TABLE runs ADD COLUMN undone_at TEXT;
-- * What `reclassify` changed: the decision before and after, for its summary, its undo and
--   the "changed after export" note of theme tables.
CREATE TABLE reclassified (
    run_id               INTEGER NOT NULL REFERENCES runs(id),
    message_id           INTEGER NOT NULL REFERENCES messages(id),
    year                 INTEGER,
    old_status           TEXT NOT NULL,
    old_topic            TEXT,
    old_confidence       REAL,
    old_decided_by       TEXT,
    old_review           INTEGER NOT NULL,
    old_review_reasons   TEXT NOT NULL,
    old_tipologia        TEXT,
    old_exclusion        TEXT,
    old_exclusion_strong INTEGER,
    old_rules_version    TEXT,
    old_model_version    TEXT,
    old_explanation      TEXT,
    old_run_id           INTEGER,
    new_status           TEXT NOT NULL,
    new_topic            TEXT,
    PRIMARY KEY (run_id, message_id)
);
CREATE INDEX reclassified_message ON reclassified (message_id);
-- * A correction's undo restores the review reasons too (NULL for corrections made before).
ALTER TABLE corrections ADD COLUMN old_review_reasons TEXT;
