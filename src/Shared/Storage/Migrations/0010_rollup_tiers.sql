-- Rollups in dimension sets and tiers (DESIGN.md §4.2). One table per set and tier; rows per bucket grow with
-- routes + consumers, not their product. Status classes are columns, latency is a binary sketch (Metrics/SketchCodec),
-- merged by the application: the consumer reads a key's sketch, merges, and writes it back under the tenant's rollup lock.
-- The old per-minute route x consumer table and its jsonb histogram functions go away.

CREATE PROCEDURE create_rollup_table(p_table text, p_dimensions text[])
LANGUAGE plpgsql AS $$
DECLARE
    columns text := '';
    keys text := '';
    d text;
BEGIN
    FOREACH d IN ARRAY p_dimensions LOOP
        columns := columns || format('%I text NOT NULL, ', d);
        keys := keys || format(', %I', d);
    END LOOP;
    EXECUTE format($f$
        CREATE TABLE %I (
            tenant_id       uuid NOT NULL,
            bucket          timestamptz NOT NULL,
            environment     text NOT NULL,
            %s
            requests        bigint NOT NULL,
            status_1xx      bigint NOT NULL,
            status_2xx      bigint NOT NULL,
            status_3xx      bigint NOT NULL,
            status_4xx      bigint NOT NULL,
            status_5xx      bigint NOT NULL,
            latency_sum     double precision NOT NULL,
            latency_max     double precision NOT NULL,
            request_bytes   bigint NOT NULL,
            response_bytes  bigint NOT NULL,
            last_seen       timestamptz NOT NULL,
            sketch          bytea NOT NULL,
            PRIMARY KEY (tenant_id, bucket, environment%s)
        )$f$, p_table, columns, keys);
    -- Reads filtered by one route or consumer over a long range go by that dimension first.
    IF array_length(p_dimensions, 1) > 0 THEN
        EXECUTE format('CREATE INDEX %I ON %I (tenant_id, %I, bucket)', p_table || '_by_' || p_dimensions[1], p_table, p_dimensions[1]);
    END IF;
    CALL enable_tenant_isolation(p_table::regclass, 'tenant_id');
END $$;

CALL create_rollup_table('rollup_routes_minute', ARRAY['route', 'method']);
CALL create_rollup_table('rollup_routes_hour', ARRAY['route', 'method']);
CALL create_rollup_table('rollup_routes_day', ARRAY['route', 'method']);
CALL create_rollup_table('rollup_consumers_minute', ARRAY['consumer_id']);
CALL create_rollup_table('rollup_consumers_hour', ARRAY['consumer_id']);
CALL create_rollup_table('rollup_consumers_day', ARRAY['consumer_id']);
CALL create_rollup_table('rollup_totals_10s', ARRAY[]::text[]);
CALL create_rollup_table('rollup_totals_minute', ARRAY[]::text[]);
CALL create_rollup_table('rollup_totals_hour', ARRAY[]::text[]);
CALL create_rollup_table('rollup_totals_day', ARRAY[]::text[]);
DROP PROCEDURE create_rollup_table(text, text[]);

DROP TABLE rollups_minute;
DROP AGGREGATE histogram_sum(jsonb);
DROP FUNCTION histogram_merge(jsonb, jsonb);

-- Consumer cardinality, like routes (0004): each tenant has a bounded set of distinct consumers in the rollups; the
-- rest count as '{other}', and how many did is kept so the tenant can see it. Raw events keep the consumer as sent.
CREATE TABLE tenant_consumers (
    tenant_id    uuid NOT NULL,
    consumer_id  text NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, consumer_id)
);
CALL enable_tenant_isolation('tenant_consumers', 'tenant_id');

CREATE TABLE consumer_overflow (
    tenant_id   uuid PRIMARY KEY,
    events      bigint NOT NULL,
    consumers   bigint NOT NULL,
    last_at     timestamptz NOT NULL
);
CALL enable_tenant_isolation('consumer_overflow', 'tenant_id');
