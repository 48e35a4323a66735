-- People, sessions, keys and the audit trail (the identity issue).

ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'invited'));
ALTER TABLE users ADD COLUMN invite_token_hash text;
ALTER TABLE users ADD COLUMN invite_expires_at timestamptz;
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
CREATE UNIQUE INDEX users_invite_token_key ON users (invite_token_hash) WHERE invite_token_hash IS NOT NULL;

-- Refresh tokens: opaque, stored only as SHA-256, rotated on every use; a family is one login's chain.
CREATE TABLE refresh_tokens (
    tenant_id    uuid NOT NULL REFERENCES tenants(id),
    token_hash   text NOT NULL,
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    spent_at     timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);
CALL enable_tenant_isolation('refresh_tokens', 'tenant_id');

ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{ingest}';
ALTER TABLE api_keys ADD COLUMN environments text[];
ALTER TABLE api_keys ADD COLUMN created_by uuid;

-- The audit trail: append-only for the app role (no UPDATE or DELETE is granted). tenant_id is null only for
-- failed logins with an unknown e-mail, which no tenant may see.
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_type      text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'anonymous', 'system')),
    actor_id        text,
    action          text NOT NULL,
    target_type     text,
    target_id       text,
    summary         jsonb NOT NULL DEFAULT '{}',
    client_address  text
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, id DESC);
CALL enable_tenant_isolation('audit_log', 'tenant_id');
-- Failed logins for unknown e-mails are recorded without a tenant, visible to no tenant.
CREATE POLICY anonymous_audit ON audit_log FOR INSERT WITH CHECK (tenant_id IS NULL AND actor_type = 'anonymous');

-- Login throttling by e-mail and by client address; not tenant data (an attacker's e-mail may not exist).
CREATE TABLE login_throttle (
    key            text PRIMARY KEY,
    failures       int NOT NULL,
    window_start   timestamptz NOT NULL,
    locked_until   timestamptz
);

-- Refresh presents only the token; its tenant is found from the hash.
CREATE FUNCTION auth_find_refresh_token(p_hash text)
RETURNS TABLE (tenant_id uuid, family_id uuid, user_id uuid, expires_at timestamptz, spent_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tenant_id, family_id, user_id, expires_at, spent_at, revoked_at FROM refresh_tokens WHERE token_hash = p_hash
$$;

-- Accepting an invite presents only the invite token.
CREATE FUNCTION auth_find_invite(p_hash text)
RETURNS TABLE (tenant_id uuid, id uuid, invite_expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tenant_id, id, invite_expires_at FROM users WHERE invite_token_hash = p_hash AND status = 'invited'
$$;

-- Signup checks e-mail uniqueness across tenants without seeing other tenants' rows.
CREATE FUNCTION auth_email_taken(p_email text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(p_email))
$$;

DROP FUNCTION auth_find_user(text);
CREATE FUNCTION auth_find_user(p_email text)
RETURNS TABLE (tenant_id uuid, id uuid, role text, password_hash text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tenant_id, id, role, password_hash, status FROM users WHERE lower(email) = lower(p_email)
$$;
