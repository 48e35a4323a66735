-- What the store cannot hold costs nothing else (issue 11): dead letters an operator can see and replay, and sums
-- that stop at the end of bigint instead of wrapping or failing.

-- One row per undecodable message (tenant unknown) or per event that failed on its own; 'dead' until a replay
-- stores it. Not a tenant table: only the operator routes read it.
ALTER TABLE dead_letters RENAME COLUMN error TO last_error;
ALTER TABLE dead_letters
    ADD COLUMN tenant_id        uuid,
    ADD COLUMN event_count      int,
    ADD COLUMN first_event_at   timestamptz,
    ADD COLUMN first_route      text,
    ADD COLUMN attempts         int NOT NULL DEFAULT 1,
    ADD COLUMN state            text NOT NULL DEFAULT 'dead' CHECK (state IN ('dead', 'replayed')),
    ADD COLUMN last_attempt_at  timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN replayed_at      timestamptz;
CREATE INDEX dead_letters_state ON dead_letters (state, id);

-- a + b, clamped to bigint's range. Pure bigint arithmetic (no numeric), and inlined by the planner.
CREATE FUNCTION saturating_add(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN b > 0 AND a > 9223372036854775807 - b THEN 9223372036854775807
        WHEN b < 0 AND a < (-9223372036854775807 - 1) - b THEN (-9223372036854775807 - 1)
        ELSE a + b
    END
$$;

-- A numeric (what sum() over bigint gives) clamped to bigint, so a reader can never fail on a big sum.
CREATE FUNCTION clamp_bigint(v numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(v, -9223372036854775808), 9223372036854775807)::bigint
$$;

-- Histogram counts merge with the same clamp: a bucket never holds more than bigint (the readers parse 64-bit counts).
CREATE OR REPLACE FUNCTION histogram_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(k, clamp_bigint(total)), '{}'::jsonb)
    FROM (
        SELECT k, sum(v::bigint) AS total
        FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS e(k, v)
        GROUP BY k
    ) AS s
$$;
