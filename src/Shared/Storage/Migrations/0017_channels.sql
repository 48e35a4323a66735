-- Issue 13 §3: every channel type, targets kept encrypted, webhook secret rotation.
ALTER TABLE channels DROP CONSTRAINT channels_type_check;
ALTER TABLE channels ADD CONSTRAINT channels_type_check CHECK (type IN ('webhook', 'slack', 'teams', 'pagerduty', 'email'));

-- target now holds what may be shown (the URL or routing key masked); target_protected the real one, AES-GCM
-- encrypted (SecretProtector): Slack and Teams URLs and PagerDuty routing keys are credentials. Rows written before
-- this migration keep their plain target and no target_protected; they are read as before.
ALTER TABLE channels ADD COLUMN target_protected text;
-- E-mail channels: up to 20 recipients.
ALTER TABLE channels ADD COLUMN recipients text[];
-- After a rotation the previous signing secret still signs until previous_secret_expires_at (24 h).
ALTER TABLE channels ADD COLUMN previous_secret_protected text;
ALTER TABLE channels ADD COLUMN previous_secret_expires_at timestamptz;
ALTER TABLE channels ADD COLUMN secret_rotated_at timestamptz;
ALTER TABLE channels ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
