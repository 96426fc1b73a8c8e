SELECT id, kind, started_at, finished_at, status, fetched, classified, excluded, skipped, duplicates, errors, error
    FROM runs ORDER BY id DESC LIMIT 1
