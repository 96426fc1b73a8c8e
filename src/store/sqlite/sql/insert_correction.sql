INSERT INTO corrections (batch_id, message_id, kind, old_topic, new_topic, old_status, old_decided_by, old_review,
    old_tipologia, new_tipologia, note, year, old_review_reasons)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
