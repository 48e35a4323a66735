-- Route cardinality: each tenant has a bounded set of distinct routes; events on routes beyond it are recorded
-- under '/{other}', and how many were is kept so the tenant can see it happened.

CREATE TABLE tenant_routes (
    tenant_id   uuid NOT NULL,
    route       text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, route)
);
CALL enable_tenant_isolation('tenant_routes', 'tenant_id');

CREATE TABLE route_overflow (
    tenant_id   uuid PRIMARY KEY,
    events      bigint NOT NULL,
    routes      bigint NOT NULL,
    last_at     timestamptz NOT NULL
);
CALL enable_tenant_isolation('route_overflow', 'tenant_id');
