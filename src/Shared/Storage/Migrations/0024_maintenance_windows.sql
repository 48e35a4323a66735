-- Issue 14 §4: recurring maintenance windows. The schedule is stored as written: the RRULE text, the local start
-- (timestamp without time zone, in time_zone), the occurrence length and the local starts of skipped occurrences;
-- occurrences are expanded from these by MaintenanceSchedule when read, never stored. Matchers as silences store
-- them (their contract JSON). summary_at_end is the option of one summary when an occurrence ends (stored only).
CREATE TABLE maintenance_windows (
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    id             uuid NOT NULL,
    name           text NOT NULL,
    rrule          text NOT NULL,
    start_local    timestamp NOT NULL,
    duration       interval NOT NULL,
    time_zone      text NOT NULL,
    exceptions     timestamp[] NOT NULL DEFAULT '{}',
    matchers       jsonb NOT NULL,
    summary_at_end boolean NOT NULL DEFAULT false,
    created_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK (duration >= interval '1 minute' AND duration <= interval '7 days')
);
-- Names are unique per tenant, compared case-insensitively, as escalation policies' are.
CREATE UNIQUE INDEX maintenance_windows_name_key ON maintenance_windows (tenant_id, lower(name));
CALL enable_tenant_isolation('maintenance_windows', 'tenant_id');
