SELECT year, month, channel, status, key, SUM(n), SUM(rv), tipologia FROM (
    SELECT year, month, channel, status,
    CASE status WHEN 'classified' THEN topic WHEN 'excluded' THEN exclusion ELSE skip_kind END AS key,
    COUNT(*) AS n, SUM(review) AS rv, tipologia
    FROM messages GROUP BY 1, 2, 3, 4, 5, 8
    UNION ALL
    SELECT year, month, channel, status, key, count, review, tipologia FROM aggregates)
    GROUP BY 1, 2, 3, 4, 5, 8 ORDER BY 1, 2, 3, 4, 5, 8
