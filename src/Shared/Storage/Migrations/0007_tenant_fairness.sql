-- Rule evaluation runs off the path that stores events (DESIGN.md §4.12). The Alerts consumer marks the tenants a
-- batch touched as due here, in the batch's own transaction, with one statement; the EvaluateDueRules timer claims
-- due tenants oldest first and evaluates each within a time budget; the 15-second sweep marks every tenant with an
-- enabled rule due, so conditions resolve and go stale without traffic. One row per tenant with rules.

CREATE TABLE rule_evaluation_schedule (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    due_since        timestamptz,                -- the oldest change not evaluated yet; null when nothing is due
    next_at          timestamptz NOT NULL,       -- not before: the per-tenant interval, a claim's lease, or a backoff
    overruns         int NOT NULL DEFAULT 0,     -- consecutive evaluations that ran out of budget or failed
    last_started_at  timestamptz,
    last_duration_ms int,
    last_outcome     text
);
CREATE INDEX rule_evaluation_schedule_due ON rule_evaluation_schedule (due_since) WHERE due_since IS NOT NULL;
CALL enable_tenant_isolation('rule_evaluation_schedule', 'tenant_id');

-- Each rule's last evaluation, as its GET shows it: {lastEvaluatedAt, groups, groupLimit, groupLimitHit, lastError}.
ALTER TABLE alert_rules ADD COLUMN evaluation jsonb;

-- The consumer marks the tenants of a batch due (those with an enabled rule). A tenant already due keeps its older
-- time (oldest first stays fair). Rows are taken in tenant order, as the sweep takes them, so the two never deadlock.
-- The lock this takes on a row lasts until the batch commits, which is what keeps a claim from running between a
-- batch's mark and its commit (a claim skips locked rows and picks the tenant up on its next round). The time is
-- the database's, as for the consumer's other bookkeeping.
CREATE FUNCTION mark_rules_due(p_tenants uuid[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO rule_evaluation_schedule AS s (tenant_id, due_since, next_at)
    SELECT t.id, now(), now() FROM unnest(p_tenants) AS t(id)
    WHERE EXISTS (SELECT 1 FROM alert_rules r WHERE r.tenant_id = t.id AND r.enabled)
    ORDER BY t.id
    ON CONFLICT (tenant_id) DO UPDATE SET due_since = now() WHERE s.due_since IS NULL
$$;

-- The sweep: every tenant with an enabled rule is due. Rows a batch or a claim holds are skipped (they are being
-- marked or evaluated right now), so the sweep never waits for the consumer nor the consumer for the sweep.
CREATE FUNCTION mark_all_rules_due() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO rule_evaluation_schedule (tenant_id, due_since, next_at)
    SELECT DISTINCT tenant_id, now(), now() FROM alert_rules WHERE enabled ORDER BY 1
    ON CONFLICT (tenant_id) DO NOTHING;
    UPDATE rule_evaluation_schedule s SET due_since = now()
    WHERE s.tenant_id IN (
        SELECT d.tenant_id FROM rule_evaluation_schedule d
        WHERE d.due_since IS NULL AND EXISTS (SELECT 1 FROM alert_rules r WHERE r.tenant_id = d.tenant_id AND r.enabled)
        ORDER BY d.tenant_id FOR UPDATE SKIP LOCKED);
$$;

-- The evaluator claims the tenant due longest whose next attempt has come, with a lease: no other evaluator takes
-- it until the lease ends or the evaluation records its outcome.
CREATE FUNCTION claim_due_rule_evaluation(p_now timestamptz, p_lease interval)
RETURNS TABLE (tenant_id uuid, due_since timestamptz, overruns int)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT d.tenant_id, d.due_since FROM rule_evaluation_schedule d
        WHERE d.due_since IS NOT NULL AND d.next_at <= p_now
        ORDER BY d.due_since LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE rule_evaluation_schedule s SET due_since = NULL, next_at = p_now + p_lease, last_started_at = p_now
    FROM due WHERE s.tenant_id = due.tenant_id
    RETURNING s.tenant_id, due.due_since, s.overruns
$$;

-- Signup throttling (SignupThrottle): token buckets per client address and one for all signups, so a flood of
-- anonymous signups, each a 600,000-iteration hash, neither makes tenants without bound nor takes the CPU that logins
-- need. Not tenant data (the caller has no tenant yet). A row whose bucket has refilled is the same as no row.
CREATE TABLE signup_throttle (
    key         text PRIMARY KEY,
    tokens      double precision NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX signup_throttle_updated ON signup_throttle (updated_at);
