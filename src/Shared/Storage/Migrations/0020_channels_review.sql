-- Issue 13 (review): a rule may only name channels that exist, even when the channel is deleted at the same moment.
-- A rule's channels live in its JSON definition (no foreign key can reach them), so a trigger checks them and takes a
-- KEY SHARE lock on each: a concurrent DELETE /channels/{id} (which locks the channel FOR UPDATE, then looks for rules
-- naming it) either waits for the rule to commit and then sees it (409), or has deleted the channel first and the
-- rule write fails here (foreign_key_violation on alert_rules_channels_exist, answered 400 by the API).
CREATE FUNCTION alert_rule_channels_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted uuid[];
    found int;
BEGIN
    IF jsonb_typeof(NEW.definition -> 'channelIds') IS DISTINCT FROM 'array' THEN RETURN NEW; END IF;
    IF TG_OP = 'UPDATE' AND NEW.definition -> 'channelIds' = OLD.definition -> 'channelIds' THEN RETURN NEW; END IF;
    SELECT array_agg(DISTINCT ids.id::uuid) INTO wanted FROM jsonb_array_elements_text(NEW.definition -> 'channelIds') AS ids(id);
    IF wanted IS NULL THEN RETURN NEW; END IF;
    PERFORM 1 FROM channels WHERE tenant_id = NEW.tenant_id AND id = ANY (wanted) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < cardinality(wanted) THEN
        RAISE EXCEPTION 'A channel the rule names does not exist.'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'alert_rules_channels_exist';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER alert_rules_channels_exist BEFORE INSERT OR UPDATE OF definition ON alert_rules
    FOR EACH ROW EXECUTE FUNCTION alert_rule_channels_exist();

-- Channels written before 0017 keep their target (a URL or routing key: a credential) in plain text and no
-- target_protected. Each app encrypts them when it starts (LegacyChannelTargets); this finds them across tenants
-- for it, without showing it any target: only which rows to fix, which it then reads under the tenant's own scope.
CREATE FUNCTION channels_with_plain_targets()
RETURNS TABLE (tenant_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT tenant_id, id FROM channels
    WHERE target_protected IS NULL AND target <> '' AND type IN ('webhook', 'slack', 'teams', 'pagerduty')
    ORDER BY tenant_id, id
$$;

-- What a service said beyond the status code, with the attempt: ACS e-mail's final operation status
-- (Succeeded, Failed, Canceled), which arrives after the 202 that accepted the message.
ALTER TABLE delivery_attempts ADD COLUMN detail text;
