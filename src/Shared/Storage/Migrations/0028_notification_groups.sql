-- Issue 14 §2: grouping, deduplication and re-notification, with Alertmanager's meaning. A rule is the route, and its
-- alerts (one per value of its groupBy) are the members of the rule's one notification group. An alert change that
-- notifies (AlertNotices) records itself on the group in the transaction of the change; a flush (NotificationGroups)
-- writes one outbox delivery per channel listing the group's alerts, then schedules the next one: the first flush of a
-- new group waits groupWait, later changes wait until groupInterval has passed since the group's last notification,
-- and a group whose members still fire is sent again every repeatInterval. A group left without members is closed
-- (its row goes). The timings and channels are the rule's, copied at each change, so the resolves of a deleted rule
-- still go out.
CREATE TABLE notification_groups (
    tenant_id       uuid NOT NULL REFERENCES tenants(id),
    rule_id         uuid NOT NULL,
    channel_ids     uuid[] NOT NULL,
    group_wait      interval NOT NULL,
    group_interval  interval NOT NULL,
    repeat_interval interval NOT NULL,
    created_at      timestamptz NOT NULL,
    -- When the group was last sent (null: never, it still waits groupWait).
    last_sent_at    timestamptz,
    -- When it is flushed next (a change's groupWait or groupInterval, or the repeat); null: nothing to send.
    flush_at        timestamptz,
    -- A flusher's claim (claim_due_notification_groups), so racing flushers take different groups; the flush itself
    -- re-reads the row under FOR UPDATE, so a lapsed claim never sends twice.
    claimed_until   timestamptz,
    PRIMARY KEY (tenant_id, rule_id)
);
CREATE INDEX notification_groups_due ON notification_groups (flush_at) WHERE flush_at IS NOT NULL;
CALL enable_tenant_isolation('notification_groups', 'tenant_id');

-- The group's alerts: 'notified' once a notification listed the alert firing (only then are its acknowledgement and
-- resolve worth telling), 'changed' while a change of it waits for the next flush. A resolved member goes with the
-- flush that tells it (or at once, unlisted, when nobody was told it fired).
CREATE TABLE notification_group_members (
    tenant_id  uuid NOT NULL,
    rule_id    uuid NOT NULL,
    alert_id   uuid NOT NULL,
    notified   boolean NOT NULL DEFAULT false,
    changed    boolean NOT NULL DEFAULT true,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, alert_id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES notification_groups(tenant_id, rule_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, alert_id) REFERENCES alerts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notification_group_members_alert ON notification_group_members (tenant_id, alert_id);
CALL enable_tenant_isolation('notification_group_members', 'tenant_id');

-- A grouped delivery keeps its lead alert in alert_id and lists every alert it tells of here, so the deliveries API's
-- alertId filter finds it by any of them.
ALTER TABLE notification_outbox ADD COLUMN alert_ids uuid[];
CREATE INDEX notification_outbox_alert_ids ON notification_outbox USING gin (alert_ids) WHERE alert_ids IS NOT NULL;

-- Due groups of every tenant, oldest due first, at most p_max and at most p_per_tenant of one tenant (a tenant with
-- thousands of rules due at once leaves the rest of the claim to the others), each claimed for p_lease; SKIP LOCKED
-- keeps racing flushers off the same rows. Only the keys are returned: the flush reads the group again in the
-- tenant's transaction, where row-level security holds.
CREATE FUNCTION claim_due_notification_groups(p_now timestamptz, p_max int, p_per_tenant int, p_lease interval)
RETURNS TABLE (tenant_id uuid, rule_id uuid)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH ranked AS (
        SELECT g.tenant_id, g.rule_id, g.flush_at,
               row_number() OVER (PARTITION BY g.tenant_id ORDER BY g.flush_at, g.rule_id) AS turn
        FROM notification_groups g
        WHERE g.flush_at <= p_now AND (g.claimed_until IS NULL OR g.claimed_until <= p_now)),
    due AS (
        SELECT g.tenant_id, g.rule_id FROM notification_groups g
        WHERE (g.tenant_id, g.rule_id) IN (
            SELECT r.tenant_id, r.rule_id FROM ranked r WHERE r.turn <= p_per_tenant ORDER BY r.flush_at LIMIT p_max)
          AND g.flush_at <= p_now AND (g.claimed_until IS NULL OR g.claimed_until <= p_now)
        FOR UPDATE OF g SKIP LOCKED)
    UPDATE notification_groups g SET claimed_until = p_now + p_lease
    FROM due WHERE g.tenant_id = due.tenant_id AND g.rule_id = due.rule_id
    RETURNING g.tenant_id, g.rule_id
$$;
