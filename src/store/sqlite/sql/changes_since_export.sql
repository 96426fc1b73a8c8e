SELECT COUNT(*) FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
    WHERE c.year = ?1 AND c.kind = 'correction' AND b.applied_at > ?2
