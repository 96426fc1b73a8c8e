UPDATE runs SET finished_at = ?2, status = ?3, fetched = ?4, classified = ?5, excluded = ?6,
    skipped = ?7, duplicates = ?8, errors = ?9, error = ?10 WHERE id = ?1
