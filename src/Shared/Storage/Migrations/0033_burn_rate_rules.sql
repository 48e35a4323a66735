-- Issue 16 §2: burn-rate rules name an SLO (condition.sloId). As 0022 does for escalation policies, a rule may only
-- name an SLO that exists, even when the SLO is deleted at the same moment: the trigger takes a KEY SHARE lock on the
-- SLO, so a concurrent DELETE (which locks the SLO FOR UPDATE, then looks for rules naming it) either waits and then
-- sees the rule (409), or has deleted the SLO first and the rule write fails here (foreign_key_violation on
-- alert_rules_slo_exists, answered 400).
CREATE FUNCTION alert_rule_slo_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted uuid;
BEGIN
    IF jsonb_typeof(NEW.definition -> 'condition' -> 'sloId') IS DISTINCT FROM 'string' THEN RETURN NEW; END IF;
    IF TG_OP = 'UPDATE' AND NEW.definition -> 'condition' -> 'sloId' = OLD.definition -> 'condition' -> 'sloId' THEN RETURN NEW; END IF;
    wanted := (NEW.definition -> 'condition' ->> 'sloId')::uuid;
    PERFORM 1 FROM slos WHERE tenant_id = NEW.tenant_id AND id = wanted FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'The SLO the rule names does not exist.'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'alert_rules_slo_exists';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER alert_rules_slo_exists BEFORE INSERT OR UPDATE OF definition ON alert_rules
    FOR EACH ROW EXECUTE FUNCTION alert_rule_slo_exists();

-- The rules naming an SLO, found by its delete.
CREATE INDEX alert_rules_slo ON alert_rules (tenant_id, ((definition -> 'condition' ->> 'sloId'))) WHERE definition -> 'condition' ? 'sloId';
