-- Issue 14 §1: escalation policies. A policy is stored as its contract JSON (steps, repeat, ackTimeout) beside the
-- columns queries need; its channels are checked and locked by the store when it is written (EscalationPolicyStore),
-- as a channel's delete locks the channel and then looks for policies naming it.
CREATE TABLE escalation_policies (
    tenant_id   uuid NOT NULL REFERENCES tenants(id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Names are unique per tenant, compared case-insensitively: a rule's editor picks a policy by its name.
CREATE UNIQUE INDEX escalation_policies_name_key ON escalation_policies (tenant_id, lower(name));
CALL enable_tenant_isolation('escalation_policies', 'tenant_id');

-- A rule may only name a policy that exists, even when the policy is deleted at the same moment (as 0020 does for
-- channels): the trigger takes a KEY SHARE lock on the policy, so a concurrent DELETE (which locks the policy FOR
-- UPDATE, then looks for rules naming it) either waits and then sees the rule (409), or has deleted the policy first
-- and the rule write fails here (foreign_key_violation on alert_rules_escalation_policy_exists, answered 400).
CREATE FUNCTION alert_rule_escalation_policy_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted uuid;
BEGIN
    IF jsonb_typeof(NEW.definition -> 'escalationPolicyId') IS DISTINCT FROM 'string' THEN RETURN NEW; END IF;
    IF TG_OP = 'UPDATE' AND NEW.definition -> 'escalationPolicyId' = OLD.definition -> 'escalationPolicyId' THEN RETURN NEW; END IF;
    wanted := (NEW.definition ->> 'escalationPolicyId')::uuid;
    PERFORM 1 FROM escalation_policies WHERE tenant_id = NEW.tenant_id AND id = wanted FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'The escalation policy the rule names does not exist.'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'alert_rules_escalation_policy_exists';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER alert_rules_escalation_policy_exists BEFORE INSERT OR UPDATE OF definition ON alert_rules
    FOR EACH ROW EXECUTE FUNCTION alert_rule_escalation_policy_exists();
