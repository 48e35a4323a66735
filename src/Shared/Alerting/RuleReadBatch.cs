using Npgsql;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>What rules that can share one rollup read have in common: the set, the window, and whether sketches are needed.</summary>
public sealed record RuleReadKey(RollupSet Set, TimeSpan Window, bool Sketches);

/// <summary>
/// Computes many rules' metrics from one rollup read: every rule whose set (its filters and <c>groupBy</c>,
/// <see cref="RollupFilter.SetFor"/>), window and need for sketches are the same reads that set over the window once,
/// at the set's full grain (its dimensions and the environment), with <see cref="RollupReader"/>; each rule then
/// keeps the rows its filters match and merges them into its own groups here. Rules with the same filters and
/// grouping share that merge. The answer per rule is what <see cref="RuleMetricQuery"/> answers for it alone: the
/// same rows summed (counts exactly; latency sums up to the order of floating-point addition), the same groups in
/// the same order (open alerts first, then the busiest, ties by key) and the same bound.
/// </summary>
public static class RuleReadBatch
{
    private static readonly Dictionary<string, string> GroupColumns = new()
    {
        ["route"] = "route", ["method"] = "method", ["environment"] = "environment", ["consumerId"] = "consumer_id",
    };

    /// <summary>What a rule reads; null when no rollup set answers it (a route or method with a consumer: raw events) or it reads its SLO (burn rate) or its baselines (anomaly).</summary>
    public static RuleReadKey? KeyOf(AlertRule rule)
    {
        var condition = rule.Body.Condition;
        if (condition.IsBurnRate || condition.IsAnomaly) return null;
        var set = FilterOf(condition).SetFor(ColumnsOf(condition));
        return set is null ? null : new RuleReadKey(set, rule.Window, MetricValue.NeedsSketch(condition.Metric));
    }

    /// <summary>
    /// Each rule's groups (at most <paramref name="limit"/>, those in <paramref name="openGroups"/> first) over the
    /// window ending at <paramref name="now"/>; every rule must have <paramref name="key"/> as its <see cref="KeyOf"/>.
    /// </summary>
    public static async Task<Dictionary<Guid, List<GroupValue>>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        RuleReadKey key, IReadOnlyList<AlertRule> rules, DateTimeOffset now, IReadOnlyDictionary<Guid, IReadOnlyCollection<string>> openGroups, int limit,
        CancellationToken ct)
    {
        if (rules.Any(r => KeyOf(r) != key)) throw new ArgumentException("Every rule must read the batch's set, window and sketches.", nameof(rules));
        var (from, to) = RollupRange.Ending(now, key.Window);
        // Full grain: the set's dimensions, then the environment, which every set keeps.
        var grain = key.Set.Dimensions.Append("environment").ToArray();
        var rows = await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(key.Set, from, to, new RollupFilter(), grain, Sketches: key.Sketches), ct);

        var merged = new Dictionary<(RollupFilter, string), List<(string Key, RollupCell Cell)>>();
        var answers = new Dictionary<Guid, List<GroupValue>>(rules.Count);
        foreach (var rule in rules)
        {
            var condition = rule.Body.Condition;
            var filter = FilterOf(condition);
            var groupBy = (condition.GroupBy ?? []).Where(GroupColumns.ContainsKey).Distinct().ToList();
            var shape = (filter, string.Join(",", groupBy));
            if (!merged.TryGetValue(shape, out var groups)) merged[shape] = groups = Merge(rows, key.Set, grain, filter, groupBy);
            var open = openGroups.TryGetValue(rule.Id, out var o) ? o.ToHashSet(StringComparer.Ordinal) : [];
            answers[rule.Id] = groups
                .OrderByDescending(g => open.Contains(g.Key)).ThenByDescending(g => g.Cell.Requests).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Take(limit)
                .Select(g => new GroupValue(g.Key, g.Cell.Requests == 0 ? null : MetricValue.Of(condition.Metric, g.Cell), g.Cell.Requests))
                .ToList();
        }
        return answers;
    }

    /// <summary>The rows a rule's filters match (as <see cref="RollupReader"/> applies them to the set), merged into its groups.</summary>
    private static List<(string Key, RollupCell Cell)> Merge(List<RollupGroup> rows, RollupSet set, string[] grain, RollupFilter filter, List<string> groupBy)
    {
        int Column(string name) => Array.IndexOf(grain, name);
        var checks = new List<(int Column, string Value)>();
        if (filter.Environment is { } environment) checks.Add((Column("environment"), environment));
        if (set == RollupSet.Routes && filter.Route is { } route) checks.Add((Column("route"), route));
        if (set == RollupSet.Routes && filter.Method is { } method) checks.Add((Column("method"), method));
        if (set == RollupSet.Consumers && filter.ConsumerId is { } consumer) checks.Add((Column("consumer_id"), consumer));
        var keyColumns = groupBy.Select(name => (Name: name, Column: Column(GroupColumns[name]))).ToArray();

        var groups = new Dictionary<string, RollupCell>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!checks.TrueForAll(c => string.Equals(row.Key[c.Column], c.Value, StringComparison.Ordinal))) continue;
            var key = string.Join(",", keyColumns.Select(k => $"{k.Name}={row.Key[k.Column]}"));
            if (!groups.TryGetValue(key, out var cell)) groups[key] = cell = new RollupCell();
            cell.Merge(row.Cell);
        }
        return groups.Select(g => (g.Key, g.Value)).ToList();
    }

    /// <summary>The rollup filter of a rule's filters (methods upper case, as stored).</summary>
    internal static RollupFilter FilterOf(RuleCondition condition)
    {
        var f = condition.Filters ?? new RuleFilters();
        return new RollupFilter(f.Route, f.Method?.ToUpperInvariant(), f.ConsumerId, f.Environment);
    }

    /// <summary>The rollup columns of a rule's <c>groupBy</c>, in its order.</summary>
    internal static string[] ColumnsOf(RuleCondition condition) =>
        (condition.GroupBy ?? []).Where(GroupColumns.ContainsKey).Distinct().Select(g => GroupColumns[g]).ToArray();
}
