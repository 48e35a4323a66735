-- Rules can be changed, disabled and deleted (issue 13 §1). An alert is a record of what happened and outlives its
-- rule: it keeps the rule's name (beside the severity it already keeps), and deleting a rule no longer deletes its
-- alerts. rule_id stays as the id the rule had; no foreign key, since the rule may be gone.
ALTER TABLE alerts ADD COLUMN rule_name text;
UPDATE alerts a SET rule_name = r.name FROM alert_rules r WHERE r.tenant_id = a.tenant_id AND r.id = a.rule_id;
UPDATE alerts SET rule_name = '' WHERE rule_name IS NULL;

-- Every writer of alerts gets the name without having to pass it: an insert without one takes the rule's current
-- name (the rule exists when its alert opens). Renaming a rule renames its open alerts (AlertRuleStore); closed ones
-- keep the name they had.
CREATE FUNCTION alerts_copy_rule_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rule_name IS NULL THEN
        SELECT r.name INTO NEW.rule_name FROM alert_rules r WHERE r.tenant_id = NEW.tenant_id AND r.id = NEW.rule_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER alerts_copy_rule_name BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_copy_rule_name();
ALTER TABLE alerts ALTER COLUMN rule_name SET NOT NULL;

ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_tenant_id_rule_id_fkey;
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts (tenant_id, rule_id);

-- The timeline's kind, message and actor (for the entries a disabled or deleted rule writes) come with 0016.
