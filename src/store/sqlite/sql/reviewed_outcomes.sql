-- Precision is measured on the control sample alone: decisions that were confident when staff
-- reviewed them (classified, not flagged, not the fallback topic), not the doubtful ones the review
-- file lists first, and not a staff topic corrected again.
SELECT c.old_topic, c.kind FROM corrections c JOIN correction_batches b ON b.id = c.batch_id
    WHERE b.undone_at IS NULL AND c.old_status = 'classified' AND c.old_review = 0
      AND c.old_decided_by NOT IN ('fallback', 'staff')
      AND (?1 IS NULL OR c.year = ?1)
