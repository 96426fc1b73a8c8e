INSERT INTO correction_batches (applied_at, reviewer, file, model_before) VALUES (?1, ?2, ?3, ?4)
