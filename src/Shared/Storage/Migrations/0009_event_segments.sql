-- Raw events in two layouts behind one event store (docs/PERFORMANCE.md, "Raw event layouts"); Storage__EventLayout
-- picks one. Compressed segments: one row per tenant and hour of event time within a consumed batch, the events
-- column-encoded and compressed in body, beside what a filtered read needs to skip a segment unopened.
CREATE SEQUENCE event_segments_id_seq;
CREATE TABLE event_segments (
    tenant_id       uuid NOT NULL,
    id              bigint NOT NULL DEFAULT nextval('event_segments_id_seq'),
    min_ts          timestamptz NOT NULL,
    max_ts          timestamptz NOT NULL,
    event_count     int NOT NULL,
    status_classes  smallint NOT NULL,   -- bit 1-5 for 1xx-5xx, bit 0 for any other code
    methods         smallint NOT NULL,   -- bit 0-6 GET POST PUT PATCH DELETE HEAD OPTIONS, bit 14 any other
    max_latency_ms  double precision NOT NULL,
    routes          text[] NOT NULL,
    consumers       text[] NOT NULL,
    environments    text[] NOT NULL,
    body            bytea NOT NULL,
    PRIMARY KEY (tenant_id, id, min_ts)
) PARTITION BY RANGE (min_ts);
-- Reads walk a tenant's segments newest first.
CREATE INDEX event_segments_tenant_max_ts ON event_segments (tenant_id, max_ts DESC, id DESC);
-- The body is zstd already: Postgres need not try to compress it again.
ALTER TABLE event_segments ALTER COLUMN body SET STORAGE EXTERNAL;
CALL enable_tenant_isolation('event_segments', 'tenant_id');

-- Day partitions on the segment's time (a segment spans at most one hour, so one day), made like those of events.
CREATE FUNCTION ensure_segment_partition(day date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    name text := format('event_segments_%s', to_char(day, 'YYYYMMDD'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(hashtext(name));
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF event_segments FOR VALUES FROM (%L) TO (%L)', name, day, day + 1);
    EXCEPTION WHEN duplicate_table THEN
        RETURN; -- a concurrent caller made it first: the name lookup after the lock can miss its commit
    END;
    CALL enable_tenant_isolation(name::regclass, 'tenant_id');
END $$;

-- The same race in ensure_event_partition (0002), found by two writers starting at once: a caller that waited on the
-- advisory lock can still miss the other's new table, and its CREATE failed.
CREATE OR REPLACE FUNCTION ensure_event_partition(day date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    name text := format('events_%s', to_char(day, 'YYYYMMDD'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(hashtext(name));
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', name, day, day + 1);
    EXCEPTION WHEN duplicate_table THEN
        RETURN;
    END;
    CALL enable_tenant_isolation(name::regclass, 'tenant_id');
END $$;

-- Rows: every event gets a unique id, the cursor's tie-breaker at equal timestamps, and the filters of
-- GET /api/v1/events get indexes that read newest first.
CREATE SEQUENCE events_id_seq;
ALTER TABLE events ADD COLUMN id bigint NOT NULL DEFAULT nextval('events_id_seq');
DROP INDEX events_tenant_ts;
CREATE INDEX events_tenant_ts_id ON events (tenant_id, ts DESC, id DESC);
CREATE INDEX events_tenant_route_ts_id ON events (tenant_id, route, ts DESC, id DESC);
CREATE INDEX events_tenant_consumer_ts_id ON events (tenant_id, consumer_id, ts DESC, id DESC);
