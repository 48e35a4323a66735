-- Issue 14 §3: an alert whose firing notification a silence or maintenance window holds. Set when the alert fires
-- muted; cleared when the hold is released (the muting ended while it still fires: notified then), or when it is
-- acknowledged or resolved first (nobody was told it fired, so nobody is told of the rest).
ALTER TABLE alerts ADD COLUMN notification_held boolean NOT NULL DEFAULT false;
CREATE INDEX alerts_notification_held ON alerts (tenant_id) WHERE notification_held;

-- The release timer visits only the tenants holding a notification.
CREATE FUNCTION tenants_with_held_notifications() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT tenant_id FROM alerts WHERE notification_held
$$;
