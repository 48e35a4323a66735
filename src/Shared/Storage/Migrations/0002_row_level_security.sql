-- Tenant isolation in the database (DESIGN.md §4.5): every tenant table has row-level security, enabled and forced.
-- A row is visible and writable only when its tenant is the transaction's tenant (set with SET LOCAL
-- app.tenant_id). The owner (who runs migrations and owns the narrow SECURITY DEFINER functions below) keeps
-- access without BYPASSRLS, so the policies work where the owner is not a superuser (Azure).

CREATE FUNCTION app_tenant() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE PROCEDURE enable_tenant_isolation(tbl regclass, tenant_column text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (%I = app_tenant() OR current_user = %L) WITH CHECK (%I = app_tenant() OR current_user = %L)',
                   tbl, tenant_column, current_user, tenant_column, current_user);
END $$;

CALL enable_tenant_isolation('tenants', 'id');
CALL enable_tenant_isolation('users', 'tenant_id');
CALL enable_tenant_isolation('api_keys', 'tenant_id');
CALL enable_tenant_isolation('events', 'tenant_id');
CALL enable_tenant_isolation('event_ids', 'tenant_id');
CALL enable_tenant_isolation('rollups_minute', 'tenant_id');
CALL enable_tenant_isolation('alert_rules', 'tenant_id');
CALL enable_tenant_isolation('alerts', 'tenant_id');
CALL enable_tenant_isolation('alert_timeline', 'tenant_id');
CALL enable_tenant_isolation('channels', 'tenant_id');
CALL enable_tenant_isolation('notification_outbox', 'tenant_id');

-- Day partitions of events are created on demand; the app role cannot create tables, so this narrow function
-- (running as the owner) does, and gives each partition the same forced policy.
CREATE FUNCTION ensure_event_partition(day date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    name text := format('events_%s', to_char(day, 'YYYYMMDD'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    PERFORM pg_advisory_xact_lock(hashtext(name));
    IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', name, day, day + 1);
    CALL enable_tenant_isolation(name::regclass, 'tenant_id');
END $$;

-- Login looks a person up by e-mail before their tenant is known.
CREATE FUNCTION auth_find_user(p_email text)
RETURNS TABLE (tenant_id uuid, id uuid, role text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tenant_id, id, role, password_hash FROM users WHERE lower(email) = lower(p_email)
$$;

-- The rule-evaluation timer sweeps every tenant that has an enabled rule.
CREATE FUNCTION tenants_with_enabled_rules() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT tenant_id FROM alert_rules WHERE enabled
$$;

-- The notification dispatcher claims due deliveries of every tenant, with a lease.
CREATE FUNCTION claim_due_notifications(p_now timestamptz, p_max int, p_lease interval)
RETURNS TABLE (tenant_id uuid, id uuid, channel_id uuid, event_type text, payload text, attempts int, channel_type text, target text, secret_protected text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT o.tenant_id, o.id FROM notification_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= p_now
        ORDER BY o.next_attempt_at LIMIT p_max FOR UPDATE SKIP LOCKED)
    UPDATE notification_outbox o SET next_attempt_at = p_now + p_lease
    FROM due, channels c
    WHERE o.tenant_id = due.tenant_id AND o.id = due.id AND c.tenant_id = o.tenant_id AND c.id = o.channel_id
    RETURNING o.tenant_id, o.id, o.channel_id, o.event_type, o.payload::text, o.attempts, c.type, c.target, c.secret_protected
$$;
