-- Issue 15: GET /api/v1/dashboard/connections. The SignalR Service's upstream reports each connection of the pulse
-- hub as it opens (after the membership check passes) and as it closes; live_connections holds the open ones.
-- Bounded per tenant by the upstream (LiveConnections.MaxPerTenant); a row whose close was never reported (an upstream
-- call lost) stops counting after 24 h and is deleted at the tenant's next connect. A removed member's rows go with
-- the member.
CREATE TABLE live_connections (
    tenant_id      uuid NOT NULL,
    connection_id  text NOT NULL CHECK (length(connection_id) <= 256),
    user_id        uuid NOT NULL,
    connected_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX live_connections_by_age ON live_connections (tenant_id, connected_at);
CALL enable_tenant_isolation('live_connections', 'tenant_id');
