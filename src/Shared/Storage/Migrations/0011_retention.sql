-- Retention (issue 12 §2): nothing grows without bound. Per-tenant overrides of the retention of each tier, and the
-- narrow functions through which the EnforceRetention timer removes what the app role cannot remove on its own:
-- whole day partitions (the app role owns no table, so it cannot drop one), rows of every tenant at once in the
-- tables it may only see per tenant, and old audit entries (the audit log stays append-only for the app role).
-- Each function clamps what it is given, so no caller can make it remove what retention would keep.

-- One row per tenant that changed a default; a null column means the app's default (Retention__*Days) applies.
CREATE TABLE tenant_retention (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    raw_days     int CHECK (raw_days BETWEEN 1 AND 90),
    minute_days  int CHECK (minute_days BETWEEN 1 AND 90),
    hour_days    int CHECK (hour_days BETWEEN 1 AND 800),
    day_days     int CHECK (day_days BETWEEN 1 AND 3650),
    audit_days   int CHECK (audit_days BETWEEN 30 AND 3650),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CALL enable_tenant_isolation('tenant_retention', 'tenant_id');

-- What the sweeps look rows up by (each small: written once per delivery, resolution, login or audit entry).
CREATE INDEX audit_log_retention ON audit_log (tenant_id, at);
CREATE INDEX alerts_resolved_at ON alerts (resolved_at) WHERE state = 'resolved';
CREATE INDEX notification_outbox_delivered_at ON notification_outbox (delivered_at) WHERE status = 'delivered';
CREATE INDEX notification_outbox_dead_created_at ON notification_outbox (created_at) WHERE status = 'dead';
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
CREATE INDEX dead_letters_replayed_at ON dead_letters (replayed_at) WHERE state = 'replayed';
CREATE INDEX login_throttle_window_start ON login_throttle (window_start);
-- event_ids is written on the ingest path: a BRIN index costs next to nothing there, and rows are appended in
-- seen_at order, so it finds the old ones without reading the table.
CREATE INDEX event_ids_seen_at ON event_ids USING brin (seen_at);

-- Every tenant with its overrides, for the enforcer's per-tenant pass (tenants and tenant_retention are visible
-- per tenant only).
CREATE FUNCTION retention_tenants()
RETURNS TABLE (tenant_id uuid, raw_days int, minute_days int, hour_days int, day_days int, audit_days int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT t.id, r.raw_days, r.minute_days, r.hour_days, r.day_days, r.audit_days
    FROM tenants t LEFT JOIN tenant_retention r ON r.tenant_id = t.id
    ORDER BY t.id
$$;

-- Drops one day partition of a retention-managed parent when the partition's upper bound (read from the catalog,
-- not from its name) is at or before p_cutoff, and p_cutoff is at least a day in the past. Waits at most 2 s for the
-- lock (dropping a partition locks its parent, which the consumer writes to): a busy moment is retried next run.
CREATE FUNCTION retention_drop_partition(p_parent text, p_partition text, p_cutoff timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    upper_bound timestamptz;
BEGIN
    IF p_parent NOT IN ('events', 'event_segments') THEN
        RAISE EXCEPTION 'retention does not drop partitions of %', p_parent;
    END IF;
    IF p_partition !~ ('^' || p_parent || '_[0-9]{8}$') THEN
        RAISE EXCEPTION 'not a day partition of %: %', p_parent, p_partition;
    END IF;
    IF p_cutoff > now() - interval '1 day' THEN
        RAISE EXCEPTION 'a retention cutoff must be at least a day in the past';
    END IF;
    SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz INTO upper_bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(p_parent) AND c.relname = p_partition;
    IF upper_bound IS NULL OR upper_bound > p_cutoff THEN
        RETURN false;
    END IF;
    PERFORM set_config('lock_timeout', '2s', true);
    EXECUTE format('DROP TABLE %I', p_partition);
    RETURN true;
END $$;

-- Up to p_limit (at most 10,000) audit entries of one tenant (null: the entries of failed logins with an unknown
-- e-mail) older than its retention: its override, else p_default_days, never less than 30 days.
CREATE FUNCTION retention_delete_audit(p_tenant uuid, p_default_days int, p_limit int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    keep_days int;
    removed bigint;
BEGIN
    SELECT r.audit_days INTO keep_days FROM tenant_retention r WHERE r.tenant_id = p_tenant;
    keep_days := greatest(30, coalesce(keep_days, p_default_days, 365));
    IF p_tenant IS NULL THEN
        DELETE FROM audit_log WHERE id IN (
            SELECT a.id FROM audit_log a WHERE a.tenant_id IS NULL AND a.at < now() - make_interval(days => keep_days)
            ORDER BY a.at LIMIT least(p_limit, 10000));
    ELSE
        DELETE FROM audit_log WHERE id IN (
            SELECT a.id FROM audit_log a WHERE a.tenant_id = p_tenant AND a.at < now() - make_interval(days => keep_days)
            ORDER BY a.at LIMIT least(p_limit, 10000));
    END IF;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;

-- Client event ids seen before p_before, never within the 24-hour dedup window.
CREATE FUNCTION retention_delete_event_ids(p_before timestamptz, p_limit int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM event_ids WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM event_ids WHERE seen_at < least(p_before, now() - interval '24 hours') LIMIT least(p_limit, 10000)));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;

-- Delivered notifications delivered before p_delivered_before, and dead ones created before p_dead_before. Pending
-- deliveries are never removed.
CREATE FUNCTION retention_delete_outbox(p_delivered_before timestamptz, p_dead_before timestamptz, p_limit int) RETURNS bigint
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
        WHERE o.status = 'dead' AND o.created_at < least(p_dead_before, now())
        LIMIT least(p_limit, 10000));
    GET DIAGNOSTICS dead = ROW_COUNT;
    RETURN delivered + dead;
END $$;

-- The timeline entries of alerts resolved before p_before, then those alerts themselves once their timeline is
-- gone (so the cascade from an alert to its timeline never removes more than the batch). Open alerts are kept.
CREATE FUNCTION retention_delete_resolved_alerts(p_before timestamptz, p_limit int)
RETURNS TABLE (timeline_entries bigint, alerts bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    entries bigint;
    removed bigint;
BEGIN
    DELETE FROM alert_timeline WHERE ctid = ANY (ARRAY(
        SELECT t.ctid FROM alerts a JOIN alert_timeline t ON t.tenant_id = a.tenant_id AND t.alert_id = a.id
        WHERE a.state = 'resolved' AND a.resolved_at < least(p_before, now())
        LIMIT least(p_limit, 10000)));
    GET DIAGNOSTICS entries = ROW_COUNT;
    DELETE FROM alerts WHERE (tenant_id, id) IN (
        SELECT a.tenant_id, a.id FROM alerts a
        WHERE a.state = 'resolved' AND a.resolved_at < least(p_before, now())
          AND NOT EXISTS (SELECT 1 FROM alert_timeline t WHERE t.tenant_id = a.tenant_id AND t.alert_id = a.id)
        LIMIT least(p_limit, 10000));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN QUERY SELECT entries, removed;
END $$;

-- Refresh tokens that expired before p_before (never one still valid).
CREATE FUNCTION retention_delete_refresh_tokens(p_before timestamptz, p_limit int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM refresh_tokens WHERE (tenant_id, token_hash) IN (
        SELECT r.tenant_id, r.token_hash FROM refresh_tokens r WHERE r.expires_at < least(p_before, now())
        LIMIT least(p_limit, 10000));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;
