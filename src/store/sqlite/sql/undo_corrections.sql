UPDATE messages SET
    topic = c.old_topic, status = c.old_status, decided_by = c.old_decided_by, review = c.old_review,
    tipologia = c.old_tipologia, review_reasons = COALESCE(c.old_review_reasons, messages.review_reasons),
    reviewed = 0
    FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id
