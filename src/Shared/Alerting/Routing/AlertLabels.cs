namespace PulseStream.Alerting.Routing;

/// <summary>
/// What a matcher (of a silence, later of a maintenance window) sees of an alert: its rule's name and severity, and
/// the route, method, consumer id and environment it is about (from its group key's parts where the rule groups by
/// them, else from the rule's filters), and the whole group key. A label the alert does not have is the empty string,
/// as in Alertmanager, so <c>route!="/v1/x"</c> matches an alert about no particular route and <c>route="/v1/x"</c> does not.
/// </summary>
public sealed record AlertLabels(string Rule, string Severity, string Route, string Method, string ConsumerId, string Environment, string Group)
{
    /// <summary>The matcher names, as the contract spells them.</summary>
    public static readonly string[] Names = ["rule", "severity", "route", "method", "consumerId", "environment", "group"];

    /// <summary>The label named <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    public string this[string name] => name switch
    {
        "rule" => Rule,
        "severity" => Severity,
        "route" => Route,
        "method" => Method,
        "consumerId" => ConsumerId,
        "environment" => Environment,
        "group" => Group,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a matcher name."),
    };

    /// <summary>
    /// The labels of an alert of a rule with <paramref name="filters"/> and <paramref name="groupBy"/> in the group
    /// <paramref name="groupKey"/>. Group parts win over filters (a grouped dimension is the alert's own value).
    /// Methods are upper case, as the evaluation reads them.
    /// </summary>
    public static AlertLabels Of(string ruleName, string severity, RuleFilters? filters, IReadOnlyList<string>? groupBy, string groupKey)
    {
        var parts = GroupKeyParts(groupBy, groupKey);
        string Part(string name, string? filter) => parts.TryGetValue(name, out var value) ? value : filter ?? "";
        return new AlertLabels(ruleName, severity,
            Part("route", filters?.Route), Part("method", filters?.Method).ToUpperInvariant(),
            Part("consumerId", filters?.ConsumerId), Part("environment", filters?.Environment), groupKey);
    }

    /// <summary>
    /// Splits a group key (<c>route=/v1/a,method=GET</c>, written by <see cref="RuleMetricQuery"/> in the rule's
    /// <c>groupBy</c> order) into its parts. The order is known, so each value runs up to the next part's
    /// <c>,name=</c>: a value may hold commas and equals signs; only a value holding the next part's own
    /// <c>,name=</c> would be cut short. A key that does not have the expected shape yields no parts.
    /// </summary>
    public static Dictionary<string, string> GroupKeyParts(IReadOnlyList<string>? groupBy, string groupKey)
    {
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = (groupBy ?? []).Distinct().ToList();
        if (names.Count == 0 || !groupKey.StartsWith(names[0] + "=", StringComparison.Ordinal)) return parts;
        var position = names[0].Length + 1;
        for (var i = 0; i < names.Count; i++)
        {
            var end = groupKey.Length;
            if (i + 1 < names.Count)
            {
                end = groupKey.IndexOf("," + names[i + 1] + "=", position, StringComparison.Ordinal);
                if (end < 0) return [];
            }
            parts[names[i]] = groupKey[position..end];
            if (i + 1 < names.Count) position = end + names[i + 1].Length + 2;
        }
        return parts;
    }
}
