SELECT id, topic, status, decided_by, review, tipologia, year, review_reasons, reviewed FROM messages
    WHERE content_key = ?1 AND status != 'skipped'
