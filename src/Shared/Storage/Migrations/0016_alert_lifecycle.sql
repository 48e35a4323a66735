-- Issue 13 §2: alerts through their whole lifecycle. Who acknowledged and who resolved an alert, and why it
-- resolved ("condition cleared" when evaluation resolved it); timeline entries say what kind they are (a transition,
-- an acknowledgement, a manual resolve, a rule change), who made them and why, in the order they were written.
ALTER TABLE alerts ADD COLUMN acknowledged_by uuid;
ALTER TABLE alerts ADD COLUMN resolved_by uuid;
ALTER TABLE alerts ADD COLUMN resolved_reason text;

-- IF NOT EXISTS: the rules' migration (0015) may add the same columns for its "rule" entries.
ALTER TABLE alert_timeline ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'transition';
ALTER TABLE alert_timeline ADD COLUMN IF NOT EXISTS actor_id uuid;
ALTER TABLE alert_timeline ADD COLUMN IF NOT EXISTS message text;
ALTER TABLE alert_timeline ADD COLUMN IF NOT EXISTS seq bigint GENERATED ALWAYS AS IDENTITY;

-- Until now a pending alert whose condition cleared before it fired was stored as resolved. It never was an
-- alert anyone was told of: such rows go (their timeline with them), and what evaluation resolved says why.
DELETE FROM alerts WHERE state = 'resolved' AND firing_at IS NULL;
UPDATE alerts SET resolved_reason = 'condition cleared' WHERE state = 'resolved' AND resolved_reason IS NULL;

-- Lists page newest first by (started_at, id); the summary reads a tenant's alerts by when they fired; a timeline
-- reads its alert's deliveries.
CREATE INDEX alerts_page ON alerts (tenant_id, started_at DESC, id DESC);
CREATE INDEX alerts_firing_at ON alerts (tenant_id, firing_at) WHERE firing_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS notification_outbox_alert ON notification_outbox (tenant_id, alert_id);
