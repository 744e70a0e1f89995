-- Co-occurrence counts for `labelsphere embed`, as a pair-counts file (docs/formats.md, docs/scale.md).
-- Input: annotations(instance_id, label), one row per label an instance carries, and instances(instance_id), every
-- instance, those without labels included (the PMI's probabilities are over all of them). Standard SQL: it runs as
-- written on DuckDB, Spark SQL, BigQuery and SQLite (docs/scripts/sql_counts.py runs it on SQLite for the tests).
-- Export the result as CSV with a header; the ORDER BY is optional and fixes the labels' ids (the order of their
-- own rows).
WITH a AS (SELECT DISTINCT instance_id, label FROM annotations)
SELECT x.label AS label_a, y.label AS label_b, COUNT(*) AS count
FROM a AS x JOIN a AS y ON x.instance_id = y.instance_id AND x.label <= y.label
GROUP BY x.label, y.label
UNION ALL
SELECT '' AS label_a, '' AS label_b, COUNT(*) AS count FROM instances
ORDER BY label_a, label_b
