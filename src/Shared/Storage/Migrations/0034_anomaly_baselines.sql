-- Issue 16 §3: anomaly rules judge each group against a seasonal baseline precomputed from its hourly history
-- (Anomalies.AnomalyModel), so an evaluation reads one row per group instead of four weeks of rollups. The timer
-- refreshes them every hour; a rule has at most RuleEvaluationOptions.MaxGroupsPerRule of them, and they go with it.
-- slots: the expected value per hour of the week (168) or of the day (24), in the metric's working scale; empty while
-- the group is warming up (history_from says since when it has been seen).
CREATE TABLE anomaly_baselines (
    tenant_id     uuid NOT NULL,
    rule_id       uuid NOT NULL,
    group_key     text NOT NULL,
    metric        text NOT NULL,
    seasonality   text NOT NULL CHECK (seasonality IN ('none', 'daily', 'weekly')),
    history_from  timestamptz NOT NULL,
    computed_at   timestamptz NOT NULL,
    slots         double precision[] NOT NULL CHECK (cardinality(slots) IN (0, 24, 168)),
    level         double precision NOT NULL,
    spread        double precision NOT NULL,
    samples       int NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, group_key),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules (tenant_id, id) ON DELETE CASCADE
);
CALL enable_tenant_isolation('anomaly_baselines', 'tenant_id');

-- The baseline timer visits every tenant with an enabled anomaly rule.
CREATE FUNCTION tenants_with_anomaly_rules() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT tenant_id FROM alert_rules WHERE enabled AND definition -> 'condition' ->> 'type' = 'anomaly'
$$;
