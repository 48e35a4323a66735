using Npgsql;
using PulseStream.Alerting;
using PulseStream.Metrics;

namespace PulseStream.Slos;

/// <summary>
/// A burn-rate rule's groups and their scores (<see cref="BurnRate.Score"/>) at one evaluation, read from the
/// rollups its SLO reads (<see cref="SloReads"/>), each window ending at the evaluation minute as every rule's does
/// (<see cref="RollupRange.Ending"/>). An SLO over everything (or a route, a consumer, an environment) is one group
/// (key <c>""</c>); a per-consumer SLO has a group per consumer (<c>consumerId=…</c>): those with an open alert first,
/// then the busiest over the longest window, up to the SLO's <c>top</c> and the rule's group bound. The request count
/// a group reports (for <c>minRequests</c>) is over the longest window. A group without requests in that window is
/// left out: no traffic burns no budget.
/// </summary>
public static class BurnRateReads
{
    private const string ConsumerKey = "consumerId=";

    public static async Task<List<GroupValue>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        DateTimeOffset now, IReadOnlyCollection<string> openGroups, int limit, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var slo = (await SloStore.FindAsync(connection, transaction, tenantId, condition.SloId!.Value, ct))?.Spec
            ?? throw new InvalidOperationException($"The SLO {condition.SloId} that burn-rate rule {rule.Id} reads does not exist.");
        var windows = BurnRate.WindowsOf(condition.Level);
        var spans = windows.ToDictionary(w => w, w => RollupRange.Ending(now, w));

        if (slo.PerConsumerTop is not { } top)
        {
            var counts = new Dictionary<TimeSpan, SloCounts>();
            foreach (var (window, (from, to)) in spans) counts[window] = await SloReads.CountsAsync(connection, transaction, tenantId, slo, from, to, null, ct);
            var requests = counts[windows[0]].Requests;
            return requests == 0 ? [] : [new GroupValue("", BurnRate.Score(condition.Level, slo.Objective, slo.Window, w => counts[w]), requests)];
        }

        var (longFrom, longTo) = spans[windows[0]];
        var open = openGroups.Where(g => g.StartsWith(ConsumerKey, StringComparison.Ordinal)).Select(g => g[ConsumerKey.Length..]).ToHashSet(StringComparer.Ordinal);
        var chosen = (await SloReads.RankConsumersAsync(connection, transaction, tenantId, slo, longFrom, longTo, ct))
            .Select((consumer, rank) => (Consumer: consumer, Rank: rank))
            .Where(c => c.Rank < top || open.Contains(c.Consumer))
            .OrderByDescending(c => open.Contains(c.Consumer)).ThenBy(c => c.Rank)
            .Take(limit).Select(c => c.Consumer).ToList();
        var byWindow = new Dictionary<TimeSpan, Dictionary<string, SloCounts>>();
        foreach (var (window, (from, to)) in spans)
            byWindow[window] = await SloReads.ConsumerCountsAsync(connection, transaction, tenantId, slo, from, to, chosen, ct);
        return chosen.Select(consumer => new GroupValue(ConsumerKey + consumer,
                BurnRate.Score(condition.Level, slo.Objective, slo.Window, w => byWindow[w].GetValueOrDefault(consumer)),
                byWindow[windows[0]].GetValueOrDefault(consumer).Requests))
            .ToList();
    }
}
