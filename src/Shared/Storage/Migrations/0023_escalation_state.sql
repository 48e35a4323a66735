-- Issue 14 §1: the escalation engine's per-alert state. One row per alert of a rule with an escalation policy, made in
-- the transaction where the alert starts firing. The row holds only the next position (cycle, step, due instant);
-- EscalationSchedule computes the one after. A timer claims due rows across tenants through claim_due_escalations.
CREATE TABLE escalation_state (
    tenant_id     uuid NOT NULL REFERENCES tenants(id),
    alert_id      uuid NOT NULL,
    policy_id     uuid NOT NULL,
    -- 'starting': the alert began firing at next_at and the runner has yet to schedule the first step (the step
    -- length is the runner's setting, so the evaluation's transaction does not compute it); 'running': the next step
    -- is due at next_at; 'acknowledged': the ack timeout re-triggers the alert at next_at (a row acknowledged while
    -- 'starting' has no ack_timeout yet: due at once, the runner looks the policy's up); 'done': every step and repeat
    -- has run, and the row stays (next_at infinity, never due) only so that a later ack still re-triggers after ack_timeout.
    phase         text NOT NULL CHECK (phase IN ('starting', 'running', 'acknowledged', 'done')),
    -- Counts the runs of the policy for this alert: each ack-timeout re-trigger starts a new one. Part of each
    -- step's deterministic delivery ids, so a re-run step of the same run enqueues nothing twice, and a new run notifies again.
    run           int NOT NULL DEFAULT 0 CHECK (run >= 0),
    cycle         int NOT NULL CHECK (cycle >= 0),
    next_step     int NOT NULL CHECK (next_step >= 0),
    next_at       timestamptz NOT NULL,
    -- The policy's, in this host's step unit, set when the runner schedules the first step: the trigger below needs no JSON.
    ack_timeout   interval,
    -- Set while the next step waits because a silence or maintenance window mutes the alert (the timeline says so once).
    muted_since   timestamptz,
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
        DELETE FROM escalation_state WHERE tenant_id = NEW.tenant_id AND alert_id = NEW.id AND ack_timeout IS NULL AND phase <> 'starting';
        UPDATE escalation_state SET phase = 'acknowledged', next_at = coalesce(NEW.acknowledged_at, now()) + coalesce(ack_timeout, interval '0'),
            muted_since = NULL, claim_token = NULL, claimed_until = NULL
        WHERE tenant_id = NEW.tenant_id AND alert_id = NEW.id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER escalation_state_follows_alert AFTER UPDATE OF state ON alerts
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state AND NEW.state IN ('acknowledged', 'resolved'))
    EXECUTE FUNCTION escalation_state_follows_alert();

-- Due rows of every tenant, at most p_max, each claimed for p_lease: a lapsed claim (a host killed mid-step) is due
-- again; SKIP LOCKED keeps two racing timers off the same row, and the step's outbox ids are deterministic, so a
-- re-run after a lapsed claim cannot enqueue a step twice. Only the keys and the token are returned: the runner
-- reads the row again under its token, in the tenant's transaction, where row-level security holds.
CREATE FUNCTION claim_due_escalations(p_now timestamptz, p_max int, p_lease interval)
RETURNS TABLE (tenant_id uuid, alert_id uuid, claim_token uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT s.tenant_id, s.alert_id FROM escalation_state s
        WHERE s.next_at <= p_now AND (s.claimed_until IS NULL OR s.claimed_until <= p_now)
        ORDER BY s.next_at LIMIT p_max
        FOR UPDATE OF s SKIP LOCKED)
    UPDATE escalation_state s SET claim_token = gen_random_uuid(), claimed_until = p_now + p_lease
    FROM due WHERE s.tenant_id = due.tenant_id AND s.alert_id = due.alert_id
    RETURNING s.tenant_id, s.alert_id, s.claim_token
$$;
