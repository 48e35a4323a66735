-- PulseStream initial schema. tenant_id leads every tenant table's key (DESIGN.md §4.5).

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    tenant_id      uuid NOT NULL REFERENCES tenants(id),
    id             uuid NOT NULL,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('viewer', 'admin', 'owner')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- E-mail addresses are unique across tenants, compared case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    id            uuid NOT NULL,
    name          text NOT NULL,
    prefix        text NOT NULL,
    key_hash      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- Raw events, range-partitioned by day on the event time; partitions are created on demand by the event store.
CREATE TABLE events (
    tenant_id       uuid NOT NULL,
    ts              timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    event_id        text,
    method          text NOT NULL,
    path            text NOT NULL,
    route           text NOT NULL,
    status_code     smallint NOT NULL,
    latency_ms      double precision NOT NULL,
    request_bytes   bigint,
    response_bytes  bigint,
    consumer_id     text,
    environment     text NOT NULL,
    attributes      jsonb
) PARTITION BY RANGE (ts);
CREATE INDEX events_tenant_ts ON events (tenant_id, ts DESC);

-- Client-supplied event ids seen in the last 24 hours: the dedup set for client retries.
CREATE TABLE event_ids (
    tenant_id  uuid NOT NULL,
    event_id   text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id)
);

-- Per-minute rollups; histogram is a sparse map of log-bucket index to count, merged by addition.
CREATE TABLE rollups_minute (
    tenant_id       uuid NOT NULL,
    bucket          timestamptz NOT NULL,
    route           text NOT NULL,
    method          text NOT NULL,
    status_class    smallint NOT NULL,
    consumer_id     text NOT NULL,
    environment     text NOT NULL,
    request_count   bigint NOT NULL,
    latency_sum     double precision NOT NULL,
    latency_max     double precision NOT NULL,
    request_bytes   bigint NOT NULL,
    response_bytes  bigint NOT NULL,
    histogram       jsonb NOT NULL,
    PRIMARY KEY (tenant_id, bucket, route, method, status_class, consumer_id, environment)
);

CREATE FUNCTION histogram_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(k, total), '{}'::jsonb)
    FROM (
        SELECT k, sum(v::bigint) AS total
        FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS e(k, v)
        GROUP BY k
    ) AS s
$$;

CREATE AGGREGATE histogram_sum(jsonb) (
    SFUNC = histogram_merge,
    STYPE = jsonb,
    INITCOND = '{}'
);

-- The applied position of each consumer group per partition: written in the same transaction as the effects.
CREATE TABLE consumer_positions (
    consumer_group   text NOT NULL,
    partition_id     text NOT NULL,
    sequence_number  bigint NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, partition_id)
);

CREATE TABLE dead_letters (
    id               bigserial PRIMARY KEY,
    consumer_group   text NOT NULL,
    partition_id     text NOT NULL,
    sequence_number  bigint NOT NULL,
    body             bytea NOT NULL,
    error            text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_rules (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    enabled      boolean NOT NULL,
    severity     text NOT NULL,
    definition   jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE alerts (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    rule_id          uuid NOT NULL,
    group_key        text NOT NULL,
    state            text NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved')),
    severity         text NOT NULL,
    value            double precision,
    started_at       timestamptz NOT NULL,
    firing_at        timestamptz,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules(tenant_id, id) ON DELETE CASCADE
);
-- At most one open alert per rule and group.
CREATE UNIQUE INDEX alerts_open_key ON alerts (tenant_id, rule_id, group_key) WHERE state <> 'resolved';

CREATE TABLE alert_timeline (
    tenant_id  uuid NOT NULL,
    alert_id   uuid NOT NULL,
    at         timestamptz NOT NULL,
    state      text NOT NULL,
    value      double precision,
    FOREIGN KEY (tenant_id, alert_id) REFERENCES alerts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX alert_timeline_alert ON alert_timeline (tenant_id, alert_id, at);

CREATE TABLE channels (
    tenant_id         uuid NOT NULL REFERENCES tenants(id),
    id                uuid NOT NULL,
    type              text NOT NULL CHECK (type IN ('webhook', 'slack', 'email')),
    name              text NOT NULL,
    target            text NOT NULL,
    secret_protected  text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- Notification outbox: alert transitions enqueue deliveries in the same transaction; a timer dispatches them.
CREATE TABLE notification_outbox (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    channel_id       uuid NOT NULL,
    alert_id         uuid NOT NULL,
    event_type       text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status = 'pending';

-- The local event log (DESIGN.md §3): stands in for Event Hubs on a machine without it.
CREATE TABLE event_log_partitions (
    hub            text NOT NULL,
    partition_id   int NOT NULL,
    next_sequence  bigint NOT NULL,
    PRIMARY KEY (hub, partition_id)
);

CREATE TABLE event_log_messages (
    hub              text NOT NULL,
    partition_id     int NOT NULL,
    sequence_number  bigint NOT NULL,
    partition_key    text,
    enqueued_at      timestamptz NOT NULL,
    body             bytea NOT NULL,
    PRIMARY KEY (hub, partition_id, sequence_number)
);

CREATE TABLE event_log_checkpoints (
    hub              text NOT NULL,
    consumer_group   text NOT NULL,
    partition_id     int NOT NULL,
    sequence_number  bigint NOT NULL,
    PRIMARY KEY (hub, consumer_group, partition_id)
);
