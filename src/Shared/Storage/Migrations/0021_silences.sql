-- Issue 14 §3: silences. Matchers as their contract JSON; who made a silence and, once expired early, who expired it.
-- A silence is pending before starts_at, active until ends_at, expired after; expiring sets ends_at to the moment
-- (or to starts_at for one that had not started), so state is always read from the two times alone.
CREATE TABLE silences (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    matchers          jsonb NOT NULL,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    comment           text NOT NULL,
    expire_on_resolve boolean NOT NULL DEFAULT false,
    created_by        uuid NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    expired_by        uuid,
    PRIMARY KEY (tenant_id, id),
    CHECK (ends_at >= starts_at)
);
-- Silences still in force (the per-tenant count, the evaluation's lookup) are found by their end.
CREATE INDEX silences_ends_at ON silences (tenant_id, ends_at);
CALL enable_tenant_isolation('silences', 'tenant_id');
