-- Issue 14 §5: flap detection. A rule with flapDetection ({changes, within}) marks an alert group that changes state
-- (firing <-> clear) more than `changes` times within `within` as flapping: it stays one open alert, notified once.
-- alert_flaps holds each group's recent state changes (bounded: those within the rule's `within`, at most the rule's
-- `changes` + 1 of them, so at most 101) and, while its alert flaps, the state the group's condition is in underneath
-- the open alert. Written in the evaluation unit's transaction (AlertFlapStore), so it survives a restart.
CREATE TABLE alert_flaps (
    tenant_id       uuid NOT NULL,
    rule_id         uuid NOT NULL,
    group_key       text NOT NULL,
    -- When the group changed state, oldest first.
    changes         timestamptz[] NOT NULL DEFAULT '{}' CHECK (cardinality(changes) <= 101),
    last_change_at  timestamptz,
    -- While the group's alert flaps: whether its condition fires underneath (true) or is clear (false), and since
    -- when a met condition waits for the rule's `for` (a pending state that opens no alert).
    underneath_firing boolean NOT NULL DEFAULT true,
    pending_since   timestamptz,
    -- State changes since the alert started flapping (for the timeline's summary when it stops).
    flapping_changes int NOT NULL DEFAULT 0 CHECK (flapping_changes >= 0),
    PRIMARY KEY (tenant_id, rule_id, group_key),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules(tenant_id, id) ON DELETE CASCADE
);
CALL enable_tenant_isolation('alert_flaps', 'tenant_id');

-- Since when the open alert flaps (null: it does not).
ALTER TABLE alerts ADD COLUMN flapping_since timestamptz;
