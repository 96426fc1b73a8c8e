SELECT (SELECT COUNT(*) FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
          WHERE c.year = ?1 AND c.kind = 'correction' AND b.applied_at > ?2)
     + (SELECT COUNT(*) FROM reclassified c JOIN runs r ON r.id = c.run_id
          WHERE c.year = ?1 AND r.finished_at > ?2 AND r.undone_at IS NULL
            AND (c.old_status != c.new_status OR c.old_topic IS NOT c.new_topic))
