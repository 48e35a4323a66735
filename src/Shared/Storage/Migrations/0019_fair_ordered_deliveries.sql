-- Deliveries under pressure (issue 13, session 3): every claim takes a bounded share per tenant, one delivery at a time
-- per alert and channel, and a delivery keeps a bounded history of attempts. A delivery whose alert's resolution
-- reached the channel first is superseded: it is never sent.

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_status_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_status_check
    CHECK (status IN ('pending', 'delivered', 'dead', 'superseded'));

-- A tenant's pending deliveries by due time: its share of a claim, and the count held against its pending limit.
CREATE INDEX notification_outbox_tenant_due ON notification_outbox (tenant_id, next_attempt_at) WHERE status = 'pending';
-- The claims held (in flight, or lapsed until claimed again): few, read by every claim for each tenant's share and
-- the alert and channel pairs being sent.
CREATE INDEX notification_outbox_held ON notification_outbox (tenant_id, alert_id, channel_id) WHERE status = 'pending' AND claim_token IS NOT NULL;
-- Superseded deliveries are removed after the dead ones' age (retention_delete_outbox, below).
CREATE INDEX notification_outbox_superseded_created_at ON notification_outbox (created_at) WHERE status = 'superseded';

DROP FUNCTION claim_due_deliveries(timestamptz, int, interval, int);

-- Claims up to p_max due deliveries, oldest due first across tenants, but no tenant more than p_per_tenant claims
-- held at once (those it already holds under a running lease count), so one tenant's flood to a slow receiver leaves
-- the rest of the claim to the others. Of one alert's deliveries to one channel only the oldest due is claimed, and
-- none while another is being sent, so they reach the receiver in order. As before, each gets a new claim token, a
-- lease, its attempt counted and an attempt row opened; a lapsed claim's attempt is closed as interrupted, and a
-- delivery that used up its attempts that way is dead instead. A claimed delivery keeps its p_keep_attempts newest
-- attempts (the one opened here included); older ones are removed.
CREATE FUNCTION claim_due_deliveries(p_now timestamptz, p_max int, p_lease interval, p_max_attempts int, p_per_tenant int, p_keep_attempts int)
RETURNS TABLE (tenant_id uuid, id uuid, channel_id uuid, alert_id uuid, event_type text, payload text, attempt int, claim_token uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH held AS (
        SELECT o.tenant_id, o.alert_id, o.channel_id FROM notification_outbox o
        WHERE o.status = 'pending' AND o.claim_token IS NOT NULL AND o.next_attempt_at > p_now),
    tenants AS (
        SELECT t.tenant_id, greatest(p_per_tenant - (SELECT count(*) FROM held h WHERE h.tenant_id = t.tenant_id), 0) AS share
        FROM (SELECT DISTINCT o.tenant_id FROM notification_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= p_now) t),
    candidates AS (
        SELECT c.tenant_id, c.id, c.next_attempt_at FROM tenants t
        CROSS JOIN LATERAL (
            SELECT f.tenant_id, f.id, f.next_attempt_at FROM (
                SELECT DISTINCT ON (o.alert_id, o.channel_id) o.tenant_id, o.id, o.next_attempt_at FROM notification_outbox o
                WHERE o.tenant_id = t.tenant_id AND o.status = 'pending' AND o.next_attempt_at <= p_now
                  AND NOT EXISTS (SELECT 1 FROM held h WHERE h.tenant_id = o.tenant_id AND h.alert_id = o.alert_id AND h.channel_id = o.channel_id)
                ORDER BY o.alert_id, o.channel_id, o.created_at, o.id) f
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
        RETURNING o.tenant_id, o.id, o.channel_id, o.alert_id, o.event_type, o.payload::text AS payload, o.attempts, o.claim_token),
    opened AS (
        INSERT INTO delivery_attempts (tenant_id, delivery_id, claim_token, started_at)
        SELECT c.tenant_id, c.id, c.claim_token, p_now FROM claimed c),
    -- The attempt just opened is not visible to this statement: of the older ones, p_keep_attempts - 1 stay. The
    -- interrupted attempt is the newest of them, so it is never among those removed.
    pruned AS (
        DELETE FROM delivery_attempts a USING (
            SELECT k.tenant_id, k.delivery_id, k.claim_token,
                   row_number() OVER (PARTITION BY k.tenant_id, k.delivery_id ORDER BY k.started_at DESC, k.claim_token DESC) AS newer
            FROM delivery_attempts k JOIN claimed c ON k.tenant_id = c.tenant_id AND k.delivery_id = c.id) r
        WHERE a.tenant_id = r.tenant_id AND a.delivery_id = r.delivery_id AND a.claim_token = r.claim_token AND r.newer >= greatest(p_keep_attempts, 2))
    SELECT c.tenant_id, c.id, c.channel_id, c.alert_id, c.event_type, c.payload, c.attempts, c.claim_token FROM claimed c
$$;

-- As in 0011, and superseded deliveries go with the dead ones' age.
CREATE OR REPLACE FUNCTION retention_delete_outbox(p_delivered_before timestamptz, p_dead_before timestamptz, p_limit int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    delivered bigint;
    dead bigint;
BEGIN
    DELETE FROM notification_outbox WHERE (tenant_id, id) IN (
        SELECT o.tenant_id, o.id FROM notification_outbox o
        WHERE o.status = 'delivered' AND o.delivered_at < least(p_delivered_before, now())
        LIMIT least(p_limit, 10000));
    GET DIAGNOSTICS delivered = ROW_COUNT;
    DELETE FROM notification_outbox WHERE (tenant_id, id) IN (
        SELECT o.tenant_id, o.id FROM notification_outbox o
        WHERE o.status IN ('dead', 'superseded') AND o.created_at < least(p_dead_before, now())
        LIMIT least(p_limit, 10000));
    GET DIAGNOSTICS dead = ROW_COUNT;
    RETURN delivered + dead;
END $$;
