-- Issue 14 §1, the escalation engine's gaps: a step's members are e-mailed through the outbox (durable, retried,
-- dead-lettered and in the delivery log like any channel delivery), and claiming due escalations takes a bounded share
-- per tenant, as claiming deliveries does (0019).

-- A delivery goes to a channel or to one member of the tenant (an escalation step's userIds), never both. The member
-- is looked up again when the e-mail is sent: one who left the tenant meanwhile is not e-mailed.
ALTER TABLE notification_outbox ALTER COLUMN channel_id DROP NOT NULL;
ALTER TABLE notification_outbox ADD COLUMN member_id uuid;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_one_target CHECK (num_nonnulls(channel_id, member_id) = 1);

-- The claims held, by alert and target (a member's e-mails are ordered as a channel's deliveries are).
DROP INDEX notification_outbox_held;
CREATE INDEX notification_outbox_held ON notification_outbox (tenant_id, alert_id, channel_id, member_id) WHERE status = 'pending' AND claim_token IS NOT NULL;

DROP FUNCTION claim_due_deliveries(timestamptz, int, interval, int, int, int);

-- As in 0019, with the member beside the channel: one delivery at a time per alert and target (a channel or a member).
CREATE FUNCTION claim_due_deliveries(p_now timestamptz, p_max int, p_lease interval, p_max_attempts int, p_per_tenant int, p_keep_attempts int)
RETURNS TABLE (tenant_id uuid, id uuid, channel_id uuid, alert_id uuid, event_type text, payload text, attempt int, claim_token uuid, member_id uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH held AS (
        SELECT o.tenant_id, o.alert_id, o.channel_id, o.member_id FROM notification_outbox o
        WHERE o.status = 'pending' AND o.claim_token IS NOT NULL AND o.next_attempt_at > p_now),
    tenants AS (
        SELECT t.tenant_id, greatest(p_per_tenant - (SELECT count(*) FROM held h WHERE h.tenant_id = t.tenant_id), 0) AS share
        FROM (SELECT DISTINCT o.tenant_id FROM notification_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= p_now) t),
    candidates AS (
        SELECT c.tenant_id, c.id, c.next_attempt_at FROM tenants t
        CROSS JOIN LATERAL (
            SELECT f.tenant_id, f.id, f.next_attempt_at FROM (
                SELECT DISTINCT ON (o.alert_id, o.channel_id, o.member_id) o.tenant_id, o.id, o.next_attempt_at FROM notification_outbox o
                WHERE o.tenant_id = t.tenant_id AND o.status = 'pending' AND o.next_attempt_at <= p_now
                  AND NOT EXISTS (SELECT 1 FROM held h WHERE h.tenant_id = o.tenant_id AND h.alert_id = o.alert_id
                                  AND h.channel_id IS NOT DISTINCT FROM o.channel_id AND h.member_id IS NOT DISTINCT FROM o.member_id)
                ORDER BY o.alert_id, o.channel_id, o.member_id, o.created_at, o.id) f
            ORDER BY f.next_attempt_at LIMIT t.share) c
        ORDER BY c.next_attempt_at LIMIT p_max),
    due AS (
        SELECT o.tenant_id, o.id, o.claim_token AS lapsed_token, o.attempts FROM notification_outbox o
        WHERE (o.tenant_id, o.id) IN (SELECT c.tenant_id, c.id FROM candidates c) AND o.status = 'pending' AND o.next_attempt_at <= p_now
        FOR UPDATE OF o SKIP LOCKED),
    interrupted AS (
        UPDATE delivery_attempts a SET finished_at = p_now, error = 'interrupted: the dispatcher stopped before the attempt finished'
        FROM due WHERE a.tenant_id = due.tenant_id AND a.delivery_id = due.id AND a.claim_token = due.lapsed_token AND a.finished_at IS NULL
        RETURNING a.delivery_id),
    exhausted AS (
        UPDATE notification_outbox o SET status = 'dead', claim_token = NULL,
            last_error = 'interrupted: the dispatcher stopped before the attempt finished'
        FROM due WHERE o.tenant_id = due.tenant_id AND o.id = due.id AND due.attempts >= p_max_attempts
        RETURNING o.id),
    claimed AS (
        UPDATE notification_outbox o SET next_attempt_at = p_now + p_lease, claim_token = gen_random_uuid(), attempts = o.attempts + 1,
            last_error = CASE WHEN due.lapsed_token IS NULL THEN o.last_error
                              ELSE 'interrupted: the dispatcher stopped before the attempt finished' END
        FROM due WHERE o.tenant_id = due.tenant_id AND o.id = due.id AND due.attempts < p_max_attempts
        RETURNING o.tenant_id, o.id, o.channel_id, o.alert_id, o.event_type, o.payload::text AS payload, o.attempts, o.claim_token, o.member_id),
    opened AS (
        INSERT INTO delivery_attempts (tenant_id, delivery_id, claim_token, started_at)
        SELECT c.tenant_id, c.id, c.claim_token, p_now FROM claimed c),
    pruned AS (
        DELETE FROM delivery_attempts a USING (
            SELECT k.tenant_id, k.delivery_id, k.claim_token,
                   row_number() OVER (PARTITION BY k.tenant_id, k.delivery_id ORDER BY k.started_at DESC, k.claim_token DESC) AS newer
            FROM delivery_attempts k JOIN claimed c ON k.tenant_id = c.tenant_id AND k.delivery_id = c.id) r
        WHERE a.tenant_id = r.tenant_id AND a.delivery_id = r.delivery_id AND a.claim_token = r.claim_token AND r.newer >= greatest(p_keep_attempts, 2))
    SELECT c.tenant_id, c.id, c.channel_id, c.alert_id, c.event_type, c.payload, c.attempts, c.claim_token, c.member_id FROM claimed c
$$;

-- A tenant's escalation rows by due time: its share of a claim.
CREATE INDEX escalation_state_tenant_due ON escalation_state (tenant_id, next_at);
-- The rows under a claim (few: a claim lasts one step's transaction, or a lease after a host died), counted against each share.
CREATE INDEX escalation_state_claimed ON escalation_state (tenant_id, claimed_until) WHERE claimed_until IS NOT NULL;

DROP FUNCTION claim_due_escalations(timestamptz, int, interval);

-- As in 0023, but no tenant gets more than p_per_tenant rows of one claim, less those it holds under a running lease:
-- a tenant with thousands of escalating alerts takes its share each round (its backlog drains over several rounds)
-- and leaves the rest of the claim to the others, so another tenant's due step waits at most one round.
CREATE FUNCTION claim_due_escalations(p_now timestamptz, p_max int, p_lease interval, p_per_tenant int)
RETURNS TABLE (tenant_id uuid, alert_id uuid, claim_token uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH tenants AS (
        SELECT t.tenant_id, greatest(p_per_tenant - (
            SELECT count(*) FROM escalation_state h WHERE h.tenant_id = t.tenant_id AND h.claimed_until IS NOT NULL AND h.claimed_until > p_now), 0) AS share
        FROM (SELECT DISTINCT s.tenant_id FROM escalation_state s WHERE s.next_at <= p_now) t),
    candidates AS (
        SELECT c.tenant_id, c.alert_id, c.next_at FROM tenants t
        CROSS JOIN LATERAL (
            SELECT s.tenant_id, s.alert_id, s.next_at FROM escalation_state s
            WHERE s.tenant_id = t.tenant_id AND s.next_at <= p_now AND (s.claimed_until IS NULL OR s.claimed_until <= p_now)
            ORDER BY s.next_at LIMIT t.share) c
        ORDER BY c.next_at LIMIT p_max),
    due AS (
        SELECT s.tenant_id, s.alert_id FROM escalation_state s
        WHERE (s.tenant_id, s.alert_id) IN (SELECT c.tenant_id, c.alert_id FROM candidates c)
          AND s.next_at <= p_now AND (s.claimed_until IS NULL OR s.claimed_until <= p_now)
        FOR UPDATE OF s SKIP LOCKED)
    UPDATE escalation_state s SET claim_token = gen_random_uuid(), claimed_until = p_now + p_lease
    FROM due WHERE s.tenant_id = due.tenant_id AND s.alert_id = due.alert_id
    RETURNING s.tenant_id, s.alert_id, s.claim_token
$$;

-- Issue 14 §4: a maintenance window's summaryAtEnd. When an occurrence ends, one maintenance.summary notification
-- lists the alerts it muted, to the channels of their rules. Such a delivery is about no one alert.
ALTER TABLE notification_outbox ALTER COLUMN alert_id DROP NOT NULL;

-- One row per occurrence summarised, written in the transaction that enqueues its summary: the key makes it exactly
-- once, whichever instance's timer gets there first, and across restarts. Rows go after MaintenanceSummaries' lookback.
CREATE TABLE maintenance_summaries (
    tenant_id        uuid NOT NULL,
    window_id        uuid NOT NULL,
    occurrence_start timestamptz NOT NULL,
    occurrence_end   timestamptz NOT NULL,
    alert_count      int NOT NULL,
    channel_count    int NOT NULL,
    summarized_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, window_id, occurrence_start),
    FOREIGN KEY (tenant_id, window_id) REFERENCES maintenance_windows(tenant_id, id) ON DELETE CASCADE
);
CALL enable_tenant_isolation('maintenance_summaries', 'tenant_id');

CREATE INDEX maintenance_windows_summary_at_end ON maintenance_windows (tenant_id) WHERE summary_at_end;

-- The summary timer visits only the tenants with a window that asks for a summary.
CREATE FUNCTION tenants_with_maintenance_summaries() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT tenant_id FROM maintenance_windows WHERE summary_at_end
$$;
