-- migration 8: the ente whose mail the store holds (`[ente]` of the configuration that first
-- wrote it); at most one row.
CREATE TABLE ente (
    id   TEXT NOT NULL,
    name TEXT NOT NULL
);
