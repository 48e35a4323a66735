namespace PulseStream.Alerting.Routing;

/// <summary>
/// The counts a group notification carries (<c>group</c> in the webhook body): of the alerts it lists, how many fire,
/// are acknowledged and resolved, and how many of the group's alerts are still open after it (PagerDuty resolves the
/// group's incident when none is). <paramref name="DedupKey"/> names the group across its notifications.
/// </summary>
public sealed record GroupSummary(Guid RuleId, string RuleName, int Firing, int Acknowledged, int Resolved, int Open, string DedupKey);

/// <summary>
/// One notification of a group: the event (<c>alert.firing</c> when a listed alert fires, <c>alert.flapping</c> when
/// every listed firing alert flaps, else
/// <c>alert.acknowledged</c> when one is acknowledged, else <c>alert.resolved</c>), its lead alert (the first listed:
/// firing ones come first, the longest firing first) and the outbox payload <c>{alert, alerts, group}</c>, which keeps
/// the single-alert notification's <c>alert</c> so receivers of the earlier contract read it as before.
/// </summary>
public sealed record GroupNotice(string EventType, AlertView Lead, IReadOnlyList<AlertView> Listed, GroupSummary Group)
{
    public object Payload => new { alert = Lead, alerts = Listed, group = Group };

    /// <summary>The key of a rule's group (PagerDuty's <c>dedup_key</c>): one incident per rule group.</summary>
    public static string DedupKeyOf(Guid ruleId) => $"pulsestream-rule-{ruleId}";

    public static GroupNotice Of(Guid ruleId, IReadOnlyList<AlertView> listed, int openAfter)
    {
        var ordered = InOrder(listed);
        var firing = ordered.Count(a => a.State == "firing");
        var acknowledged = ordered.Count(a => a.State == "acknowledged");
        // A group whose firing alerts all flap (AlertFlapping) is told so, once as they start and at each repeat.
        var eventType = firing > 0 ? ordered.Where(a => a.State == "firing").All(a => a.Flapping) ? "alert.flapping" : "alert.firing"
            : acknowledged > 0 ? "alert.acknowledged" : "alert.resolved";
        return new GroupNotice(eventType, ordered[0], ordered,
            new GroupSummary(ruleId, ordered[0].RuleName, firing, acknowledged, ordered.Count - firing - acknowledged, openAfter, DedupKeyOf(ruleId)));
    }

    /// <summary>Firing first, then acknowledged, then resolved; within each the longest open first, then by group.</summary>
    public static List<AlertView> InOrder(IEnumerable<AlertView> alerts) =>
        alerts.OrderBy(a => a.State switch { "firing" => 0, "acknowledged" => 1, _ => 2 })
            .ThenBy(a => a.FiringAt ?? a.StartedAt).ThenBy(a => a.Group, StringComparer.Ordinal).ThenBy(a => a.Id).ToList();
}
