-- migration 3: retention. Messages past retention are folded into aggregate counts and their
-- rows deleted; their content keys stay (and nothing else) so re-ingesting an archive does not
-- count them again.
CREATE TABLE aggregates (
    year      INTEGER,
    month     INTEGER,
    channel   TEXT NOT NULL,
    status    TEXT NOT NULL,
    key       TEXT NOT NULL,
    tipologia TEXT,
    count     INTEGER NOT NULL,
    review    INTEGER NOT NULL
);
CREATE TABLE pruned (
    content_key TEXT PRIMARY KEY
) WITHOUT ROWID;
