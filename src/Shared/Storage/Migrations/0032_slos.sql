-- Issue 16 §1: service-level objectives. An SLO names its traffic (filters a rollup set answers), its SLI
-- (availability: the share not answered 5xx; latency: the share within threshold_ms), its objective and its rolling
-- window; per_consumer_top applies it to each of the tenant's busiest consumers. Status and series are computed from
-- the rollups on read; nothing here grows with traffic. At most SloStore.MaxPerTenant per tenant.
CREATE TABLE slos (
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    id                uuid NOT NULL,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    filters           jsonb NOT NULL DEFAULT '{}',
    sli_type          text NOT NULL CHECK (sli_type IN ('availability', 'latency')),
    threshold_ms      double precision CHECK (threshold_ms > 0 AND threshold_ms <= 3600000),
    objective         double precision NOT NULL CHECK (objective >= 0.5 AND objective < 1),
    window_days       int NOT NULL CHECK (window_days IN (7, 28, 30)),
    per_consumer_top  int CHECK (per_consumer_top BETWEEN 1 AND 1000),
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK ((sli_type = 'latency') = (threshold_ms IS NOT NULL))
);
CREATE UNIQUE INDEX slos_name_key ON slos (tenant_id, lower(name));
CALL enable_tenant_isolation('slos', 'tenant_id');
