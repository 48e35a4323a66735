-- A tenant can be due *from a time in the future*: when its evaluation skipped rules evaluated more recently than
-- their interval allows (a sixtieth of the window, RuleEvaluationPolicy.RuleInterval), the tenant stays due from the
-- moment the first of them may run again, instead of being recorded as done and left for the 15-second sweep (a
-- 5-minute rule met just after an evaluation waited up to 15 s instead of 5). A batch or the sweep that marks such
-- a tenant brings its due time forward to now; the claim takes only tenants whose due time has come.

CREATE OR REPLACE FUNCTION mark_rules_due(p_tenants uuid[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO rule_evaluation_schedule AS s (tenant_id, due_since, next_at)
    SELECT t.id, now(), now() FROM unnest(p_tenants) AS t(id)
    WHERE EXISTS (SELECT 1 FROM alert_rules r WHERE r.tenant_id = t.id AND r.enabled)
    ORDER BY t.id
    ON CONFLICT (tenant_id) DO UPDATE SET due_since = now() WHERE s.due_since IS NULL OR s.due_since > now()
$$;

CREATE OR REPLACE FUNCTION mark_all_rules_due() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO rule_evaluation_schedule (tenant_id, due_since, next_at)
    SELECT DISTINCT tenant_id, now(), now() FROM alert_rules WHERE enabled ORDER BY 1
    ON CONFLICT (tenant_id) DO NOTHING;
    UPDATE rule_evaluation_schedule s SET due_since = now()
    WHERE s.tenant_id IN (
        SELECT d.tenant_id FROM rule_evaluation_schedule d
        WHERE (d.due_since IS NULL OR d.due_since > now()) AND EXISTS (SELECT 1 FROM alert_rules r WHERE r.tenant_id = d.tenant_id AND r.enabled)
        ORDER BY d.tenant_id FOR UPDATE SKIP LOCKED);
$$;

CREATE OR REPLACE FUNCTION claim_due_rule_evaluation(p_now timestamptz, p_lease interval)
RETURNS TABLE (tenant_id uuid, due_since timestamptz, overruns int)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT d.tenant_id, d.due_since FROM rule_evaluation_schedule d
        WHERE d.due_since <= p_now AND d.next_at <= p_now
        ORDER BY d.due_since LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE rule_evaluation_schedule s SET due_since = NULL, next_at = p_now + p_lease, last_started_at = p_now
    FROM due WHERE s.tenant_id = due.tenant_id
    RETURNING s.tenant_id, due.due_since, s.overruns
$$;
