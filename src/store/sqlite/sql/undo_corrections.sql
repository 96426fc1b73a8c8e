UPDATE messages SET
    topic = (SELECT old_topic FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
    status = (SELECT old_status FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
    decided_by = (SELECT old_decided_by FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
    review = (SELECT old_review FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
    tipologia = (SELECT old_tipologia FROM corrections c WHERE c.batch_id = ?1 AND c.message_id = messages.id),
    reviewed = 0
    WHERE id IN (SELECT message_id FROM corrections WHERE batch_id = ?1)
