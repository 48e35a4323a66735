-- Distributable by tenant (docs/SCALING.md): every tenant table's primary, unique and foreign keys include tenant_id
-- and tenant_id is never null, so each table can be distributed on tenant_id with Citus (Azure Database for
-- PostgreSQL elastic clusters) without a cross-shard constraint. DistributableSchemaTests checks the catalog.
-- Four things kept it from that: the cross-tenant unique e-mail index on users, the unique invite-token and
-- refresh-token hashes without tenant_id, and audit_log's id key with its tenantless rows.

-- Log-in e-mail addresses are unique across tenants (login finds a person by address before the tenant is known).
-- A table distributed by tenant cannot enforce that, so the uniqueness moves here: a small table, a Citus reference
-- table (one copy on every node), written by the application in the same transaction as the users row it stands for
-- (LoginEmails: claimed on signup and invite, released on removal). No foreign key to users: a reference table may
-- not reference a distributed one. Row-level security keeps each tenant to its own rows; the lookups before a tenant
-- is known go through the SECURITY DEFINER functions below. A conflicting claim still fails on the primary key even
-- though the other tenant's row is invisible, which is what makes two concurrent signups with one address end with
-- exactly one winner.
CREATE TABLE login_emails (
    email_lower  text PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL
);
CREATE UNIQUE INDEX login_emails_user_key ON login_emails (tenant_id, user_id);
CALL enable_tenant_isolation('login_emails', 'tenant_id');

INSERT INTO login_emails (email_lower, tenant_id, user_id) SELECT lower(email), tenant_id, id FROM users;
DROP INDEX users_email_key;

CREATE OR REPLACE FUNCTION auth_email_taken(p_email text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM login_emails WHERE email_lower = lower(p_email))
$$;

-- Two statements, so the users read names its tenant: on a distributed users table that goes to one shard.
CREATE OR REPLACE FUNCTION auth_find_user(p_email text)
RETURNS TABLE (tenant_id uuid, id uuid, role text, password_hash text, status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant uuid;
    v_user uuid;
BEGIN
    SELECT l.tenant_id, l.user_id INTO v_tenant, v_user FROM login_emails l WHERE l.email_lower = lower(p_email);
    IF NOT FOUND THEN RETURN; END IF;
    RETURN QUERY SELECT u.tenant_id, u.id, u.role, u.password_hash, u.status FROM users u WHERE u.tenant_id = v_tenant AND u.id = v_user;
END $$;

-- Invite and refresh tokens are 32 random bytes: their hashes do not collide, and the indexes serve the lookup by
-- hash before the tenant is known (auth_find_invite, auth_find_refresh_token). Uniqueness within a tenant is kept,
-- which a distributed table can enforce; a lookup by hash alone then asks every shard (docs/SCALING.md).
DROP INDEX users_invite_token_key;
CREATE UNIQUE INDEX users_invite_token_key ON users (invite_token_hash, tenant_id) WHERE invite_token_hash IS NOT NULL;
DROP INDEX refresh_tokens_hash_key;
CREATE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);

-- Failed logins for unknown e-mails have no tenant: they move out of the tenant audit trail into an operator table of
-- their own (append-only for the app role, like audit_log; visible to no tenant), so audit_log keys on tenant_id.
CREATE TABLE audit_log_anonymous (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    action          text NOT NULL,
    target_type     text,
    summary         jsonb NOT NULL DEFAULT '{}',
    client_address  text
);
INSERT INTO audit_log_anonymous (at, action, target_type, summary, client_address)
SELECT at, action, target_type, summary, client_address FROM audit_log WHERE tenant_id IS NULL ORDER BY id;
DELETE FROM audit_log WHERE tenant_id IS NULL;
DROP POLICY anonymous_audit ON audit_log;
ALTER TABLE audit_log ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (tenant_id, id);
-- The new primary key serves the newest-first page by tenant that this index did.
DROP INDEX audit_log_tenant_at;
