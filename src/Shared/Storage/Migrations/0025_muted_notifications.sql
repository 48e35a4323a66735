-- Issue 14 §3: what muting did to an alert's firing notification. 'held': it fired while a silence or maintenance
-- window muted it, so its firing notification was not sent; it is sent when the muting ends while it still fires
-- (HeldNotificationRelease). 'withheld': nobody was told it fired (it was acknowledged or resolved while held), so
-- nobody is told of its later changes either. Null: nothing muted it, or its firing notification went out.
ALTER TABLE alerts ADD COLUMN firing_notice text CHECK (firing_notice IN ('held', 'withheld'));
CREATE INDEX alerts_firing_notice_held ON alerts (tenant_id) WHERE firing_notice = 'held';

-- The release timer visits only the tenants holding a notification.
CREATE FUNCTION tenants_with_held_notifications() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT tenant_id FROM alerts WHERE firing_notice = 'held'
$$;
