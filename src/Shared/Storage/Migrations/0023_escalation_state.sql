-- Issue 14 §1: the escalation engine's per-alert state. One row per alert of a rule with an escalation policy, made in
-- the transaction where the alert starts firing. The row holds only the next position (cycle, step, due instant);
-- EscalationSchedule computes the one after. A timer claims due rows across tenants through claim_due_escalations.
CREATE TABLE escalation_state (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    alert_id      uuid NOT NULL,
    policy_id     uuid NOT NULL,
    -- 'running': the next step is due at next_at; 'acknowledged': the ack timeout re-triggers the alert at next_at.
    phase         text NOT NULL CHECK (phase IN ('running', 'acknowledged')),
    cycle         int NOT NULL CHECK (cycle >= 0),
    next_step     int NOT NULL CHECK (next_step >= 0),
    next_at       timestamptz NOT NULL,
    -- Copied from the policy when the run starts, so the alerts trigger below needs no JSON.
    ack_timeout   interval,
    claim_token   uuid,
    claimed_until timestamptz,
    PRIMARY KEY (tenant_id, alert_id)
);
CREATE INDEX escalation_state_due ON escalation_state (next_at);
CALL enable_tenant_isolation('escalation_state', 'tenant_id');

-- Ack and resolve stop the run wherever they happen (AlertLifecycle, AlertRuleClosure, evaluation): one trigger
-- rather than a call in each. Acknowledged with an ack timeout: the row waits for the re-trigger; else it goes.
CREATE FUNCTION escalation_state_follows_alert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.state = 'resolved' THEN
        DELETE FROM escalation_state WHERE tenant_id = NEW.tenant_id AND alert_id = NEW.id;
    ELSIF NEW.state = 'acknowledged' THEN
        DELETE FROM escalation_state WHERE tenant_id = NEW.tenant_id AND alert_id = NEW.id AND ack_timeout IS NULL;
        UPDATE escalation_state SET phase = 'acknowledged', next_at = coalesce(NEW.acknowledged_at, now()) + ack_timeout,
            claim_token = NULL, claimed_until = NULL
        WHERE tenant_id = NEW.tenant_id AND alert_id = NEW.id AND ack_timeout IS NOT NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER escalation_state_follows_alert AFTER UPDATE OF state ON alerts
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('acknowledged', 'resolved'))
    EXECUTE FUNCTION escalation_state_follows_alert();

-- Due rows of every tenant, at most p_max, each claimed for p_lease: a lapsed claim (a host killed mid-step) is due
-- again; SKIP LOCKED keeps two racing timers off the same row, and the step's outbox ids are deterministic, so a
-- re-run after a lapsed claim cannot enqueue a step twice.
CREATE FUNCTION claim_due_escalations(p_now timestamptz, p_max int, p_lease interval)
RETURNS TABLE (tenant_id uuid, alert_id uuid, policy_id uuid, phase text, cycle int, next_step int, next_at timestamptz, claim_token uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT s.tenant_id, s.alert_id FROM escalation_state s
        WHERE s.next_at <= p_now AND (s.claimed_until IS NULL OR s.claimed_until <= p_now)
        ORDER BY s.next_at LIMIT p_max
        FOR UPDATE OF s SKIP LOCKED)
    UPDATE escalation_state s SET claim_token = gen_random_uuid(), claimed_until = p_now + p_lease
    FROM due WHERE s.tenant_id = due.tenant_id AND s.alert_id = due.alert_id
    RETURNING s.tenant_id, s.alert_id, s.policy_id, s.phase, s.cycle, s.next_step, s.next_at, s.claim_token
$$;
