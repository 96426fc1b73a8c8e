INSERT INTO messages (content_key, message_date, date_source, year, month, channel, status, topic,
    confidence, decided_by, review, review_reasons, tipologia, exclusion, exclusion_strong, skip_reason,
    taxonomy, rules_version, model_version, snippet, run_id, recorded_at, sender_domain, explanation, skip_kind)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)
    ON CONFLICT (content_key) DO NOTHING
