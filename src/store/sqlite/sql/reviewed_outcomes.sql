SELECT c.old_topic, c.kind FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
    WHERE b.undone_at IS NULL AND c.old_status = 'classified' AND c.old_decided_by != 'staff'
      AND (?1 IS NULL OR c.year = ?1)
