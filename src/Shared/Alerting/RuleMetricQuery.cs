using Npgsql;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>A rule metric's value for one group over the rule's window, with the request count behind it.</summary>
public sealed record GroupValue(string GroupKey, double? Value, long Requests);

/// <summary>
/// Computes a rule's metric per group over the rule's window, from the same sets, tiers and window rule
/// (<see cref="RollupRange.Ending"/>) as the dashboard, so a rule's value equals the dashboard's for the same window and
/// filters (docs/ARCHITECTURE.md lists which set answers which filters and groupBy). At most <c>limit</c> groups: first
/// the groups that have an open alert (so an alert keeps being evaluated however busy other groups are), then the
/// busiest, ties by group key, so the cut is deterministic. Counts come first; sketches only for the groups kept.
/// </summary>
public sealed class RuleMetricQuery(RawEventRollup rawEvents)
{
    private static readonly Dictionary<string, string> GroupColumns = new()
    {
        ["route"] = "route", ["method"] = "method", ["environment"] = "environment", ["consumerId"] = "consumer_id",
    };

    public async Task<List<GroupValue>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule, DateTimeOffset now,
        IReadOnlyCollection<string> openGroups, int limit, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var groupBy = (condition.GroupBy ?? []).Where(GroupColumns.ContainsKey).Distinct().ToList();
        var columns = groupBy.Select(g => GroupColumns[g]).ToArray();
        var f = condition.Filters ?? new RuleFilters();
        var filter = new RollupFilter(f.Route, f.Method?.ToUpperInvariant(), f.ConsumerId, f.Environment);
        var (from, to) = RollupRange.Ending(now, rule.Window);
        var set = filter.SetFor(columns);
        var sketches = MetricValue.NeedsSketch(condition.Metric);

        Task<List<RollupGroup>> ReadAsync(bool withSketches, IReadOnlyCollection<string>? onlyFirst) =>
            ReadCellsAsync(connection, transaction, tenantId, new RollupRead(set ?? RollupSet.Totals, from, to, filter, columns, Sketches: withSketches, OnlyFirst: onlyFirst), ct);

        string KeyOf(RollupGroup g) => string.Join(",", groupBy.Select((name, i) => $"{name}={g.Key[i]}"));
        var open = openGroups.ToHashSet(StringComparer.Ordinal);
        var chosen = (await ReadAsync(sketches && set is null, null))
            .Select(g => (Key: KeyOf(g), Group: g))
            .OrderByDescending(g => open.Contains(g.Key)).ThenByDescending(g => g.Group.Cell.Requests).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(limit).ToList();
        if (sketches && set is not null && chosen.Count > 0)
        {
            var sketched = (await ReadAsync(true, columns.Length == 0 ? null : chosen.Select(g => g.Group.Key[0]).Distinct().ToList()))
                .ToDictionary(KeyOf, g => g.Cell);
            chosen = chosen.Select(g => sketched.TryGetValue(g.Key, out var cell) ? g with { Group = g.Group with { Cell = cell } } : g).ToList();
        }
        return chosen.Select(g => new GroupValue(g.Key, g.Group.Cell.Requests == 0 ? null : MetricValue.Of(condition.Metric, g.Group.Cell), g.Group.Cell.Requests)).ToList();
    }

    /// <summary>
    /// Reads <paramref name="read"/> from the set that answers its filter and columns, or from raw events when none
    /// does (its <see cref="RollupRead.Set"/> is then ignored).
    /// </summary>
    internal async Task<List<RollupGroup>> ReadCellsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupRead read, CancellationToken ct) =>
        read.Filter.SetFor(read.GroupBy) is { } set
            ? await RollupReader.ReadAsync(connection, transaction, tenantId, read with { Set = set }, ct)
            : await rawEvents.ReadAsync(connection, transaction, tenantId, read, ct);
}
