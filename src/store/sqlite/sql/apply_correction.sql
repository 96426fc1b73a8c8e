UPDATE messages SET topic = ?2, status = 'classified', decided_by = 'staff', review = 0, reviewed = 1,
    review_reasons = '', tipologia = COALESCE(?3, tipologia) WHERE id = ?1
