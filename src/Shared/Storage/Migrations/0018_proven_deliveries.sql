-- Deliveries that are proven (issue 13 §4): every attempt recorded, a claim that a slow receiver cannot outlive
-- (a token per attempt, renewed by a heartbeat and checked when the outcome is written), and channel health.

ALTER TABLE notification_outbox ADD COLUMN claim_token uuid;

-- One row per attempt, opened when the attempt is claimed and closed with its outcome; an attempt whose dispatcher
-- stopped (crash, kill) is closed as interrupted when the delivery is claimed again.
CREATE TABLE delivery_attempts (
    tenant_id    uuid NOT NULL,
    delivery_id  uuid NOT NULL,
    claim_token  uuid NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status_code  int,
    latency_ms   double precision,
    error        text,
    PRIMARY KEY (tenant_id, delivery_id, claim_token),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES notification_outbox(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (tenant_id, delivery_id, started_at);
CALL enable_tenant_isolation('delivery_attempts', 'tenant_id');

-- The deliveries API lists a tenant's deliveries newest first, by alert or channel.
CREATE INDEX notification_outbox_tenant_created ON notification_outbox (tenant_id, created_at DESC, id DESC);
-- (notification_outbox_alert, the index on (tenant_id, alert_id) the filters by alert read, comes with 0016.)

-- Channel health: the last success, the failures since, and when a channel failing for days was disabled.
ALTER TABLE channels ADD COLUMN last_success_at timestamptz;
ALTER TABLE channels ADD COLUMN last_failure_at timestamptz;
ALTER TABLE channels ADD COLUMN consecutive_failures int NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN failing_since timestamptz;
ALTER TABLE channels ADD COLUMN disabled_at timestamptz;
ALTER TABLE channels ADD COLUMN disabled_reason text;

-- Replaced by claim_due_deliveries: it claimed with a lease nothing renewed, and skipped deliveries whose channel was
-- gone (they stayed pending for ever).
DROP FUNCTION claim_due_notifications(timestamptz, int, interval);

-- Claims due deliveries of every tenant: each gets a new claim token, a lease, its attempt counted and an attempt
-- row opened, all in one statement. A delivery whose previous claim lapsed had its attempt interrupted: that attempt
-- is closed as such, and a delivery that has used up its attempts that way is dead instead of claimed.
CREATE FUNCTION claim_due_deliveries(p_now timestamptz, p_max int, p_lease interval, p_max_attempts int)
RETURNS TABLE (tenant_id uuid, id uuid, channel_id uuid, alert_id uuid, event_type text, payload text, attempt int, claim_token uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT o.tenant_id, o.id, o.claim_token AS lapsed_token, o.attempts FROM notification_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= p_now
        ORDER BY o.next_attempt_at LIMIT p_max FOR UPDATE SKIP LOCKED),
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
        SELECT c.tenant_id, c.id, c.claim_token, p_now FROM claimed c)
    SELECT c.tenant_id, c.id, c.channel_id, c.alert_id, c.event_type, c.payload, c.attempts, c.claim_token FROM claimed c
$$;
