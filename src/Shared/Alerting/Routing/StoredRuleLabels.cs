using System.Text.Json;
using PulseStream.Http;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// Labels of stored alerts from their rules' stored definitions, each definition read once per rule however many of
/// its alerts a query returns. A deleted rule's alerts keep their stored name and severity and match on those and
/// their group alone.
/// </summary>
internal sealed class StoredRuleLabels
{
    private readonly Dictionary<Guid, AlertRuleBody?> rules = [];

    public AlertLabels Of(Guid ruleId, string? definition, string ruleName, string severity, string groupKey)
    {
        if (!rules.TryGetValue(ruleId, out var rule))
            rules[ruleId] = rule = definition is null ? null : JsonSerializer.Deserialize<AlertRuleBody>(definition, Json.Options);
        return AlertLabels.Of(ruleName, severity, rule?.Condition?.Filters, rule?.Condition?.GroupBy, groupKey);
    }
}
