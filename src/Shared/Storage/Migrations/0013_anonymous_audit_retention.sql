-- Failed logins with an unknown e-mail are audited in audit_log_anonymous since 0012: retention of the entries
-- without a tenant (p_tenant null) now removes them there, by the default audit retention (never under 30 days).
CREATE INDEX audit_log_anonymous_at ON audit_log_anonymous (at);

CREATE OR REPLACE FUNCTION retention_delete_audit(p_tenant uuid, p_default_days int, p_limit int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    keep_days int;
    removed bigint;
BEGIN
    SELECT r.audit_days INTO keep_days FROM tenant_retention r WHERE r.tenant_id = p_tenant;
    keep_days := greatest(30, coalesce(keep_days, p_default_days, 365));
    IF p_tenant IS NULL THEN
        DELETE FROM audit_log_anonymous WHERE id IN (
            SELECT a.id FROM audit_log_anonymous a WHERE a.at < now() - make_interval(days => keep_days)
            ORDER BY a.at LIMIT least(p_limit, 10000));
    ELSE
        DELETE FROM audit_log WHERE (tenant_id, id) IN (
            SELECT a.tenant_id, a.id FROM audit_log a WHERE a.tenant_id = p_tenant AND a.at < now() - make_interval(days => keep_days)
            ORDER BY a.at LIMIT least(p_limit, 10000));
    END IF;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END $$;
