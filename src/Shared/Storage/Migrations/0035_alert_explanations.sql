-- Issue 16 §3: an anomaly alert explains itself (Anomalies.AnomalyExplainer): the band its group was judged against,
-- the observed value, how far outside, and the routes and consumers that moved the metric most. Written when the alert
-- fires, in the evaluation's transaction; null for other rules. Bounded: at most five contributors per dimension.
ALTER TABLE alerts ADD COLUMN explanation jsonb CHECK (octet_length(explanation::text) <= 65536);
