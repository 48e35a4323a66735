using Npgsql;
using PulseStream.Alerting;
using PulseStream.Metrics;

namespace PulseStream.Slos;

/// <summary>
/// What a burn-rate rule would have done over past traffic (<c>POST /api/v1/alert-rules/preview</c>): its SLO's good
/// and bad requests per minute, read once from <c>times[0]</c> minus the longest window the level reads, summed into
/// prefix counts so that each window at each evaluation time costs two subtractions; the score at each time exactly as
/// evaluation computes it (<see cref="BurnRate.Score"/>), then the evaluator's state machine (<see cref="RulePreview.Replay"/>).
/// A per-consumer SLO previews its busiest consumers over the range, at most <paramref name="maxGroups"/>. Minutes
/// past the tenant's minute-rollup retention read as no traffic.
/// </summary>
public static class BurnRatePreview
{
    public static async Task<List<PreviewGroup>> EvaluateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        ValidSlo slo, IReadOnlyList<DateTimeOffset> times, int maxGroups, CancellationToken ct)
    {
        var level = rule.Body.Condition.Level;
        var windows = BurnRate.WindowsOf(level);
        var readFrom = times[0] - windows[0];
        var to = times[^1];
        var minutes = (int)((to - readFrom) / RollupTier.Minute.Width);

        IReadOnlyList<string>? consumers = null;
        if (slo.PerConsumerTop is { } top)
        {
            consumers = (await SloReads.RankConsumersAsync(connection, transaction, tenantId, slo, readFrom, to, ct)).Take(Math.Min(top, maxGroups)).ToList();
            if (consumers.Count == 0) return [];
        }
        var read = consumers is null
            ? new RollupRead(SloReads.SetOf(slo.Filters), readFrom, to, slo.Filters, [], RollupTier.Minute.Width, Sketches: slo.Sli == "latency")
            : new RollupRead(RollupSet.Consumers, readFrom, to, slo.Filters, ["consumer_id"], RollupTier.Minute.Width, Sketches: slo.Sli == "latency", OnlyFirst: consumers);
        var rows = await RollupReader.ReadAsync(connection, transaction, tenantId, read, ct);

        var byGroup = (consumers ?? [""]).ToDictionary(c => c, _ => new SloCounts[minutes], StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var index = (int)((row.Point!.Value - readFrom) / RollupTier.Minute.Width);
            if (index < 0 || index >= minutes || !byGroup.TryGetValue(consumers is null ? "" : row.Key[0], out var counts)) continue;
            counts[index] = counts[index].Plus(SloReads.CountsOf(slo, row.Cell));
        }
        return byGroup.Select(g => RulePreview.Replay(consumers is null ? "" : $"consumerId={g.Key}", rule, Readings(level, slo, readFrom, g.Value, times), times)).ToList();
    }

    private static IEnumerable<PreviewReading> Readings(string? level, ValidSlo slo, DateTimeOffset readFrom, SloCounts[] perMinute, IReadOnlyList<DateTimeOffset> times)
    {
        // prefix[i]: the counts of minutes [0, i).
        var prefix = new SloCounts[perMinute.Length + 1];
        for (var i = 0; i < perMinute.Length; i++) prefix[i + 1] = prefix[i].Plus(perMinute[i]);
        var longest = BurnRate.WindowsOf(level)[0];
        DateTimeOffset? lastTraffic = null;
        var scanned = 0;
        foreach (var ts in times)
        {
            var end = (int)((ts - readFrom) / RollupTier.Minute.Width);
            for (; scanned < end; scanned++)
                if (perMinute[scanned].Requests > 0) lastTraffic = readFrom + RollupTier.Minute.Width * scanned;
            SloCounts Over(TimeSpan window)
            {
                var start = end - (int)(window / RollupTier.Minute.Width);
                return new SloCounts(prefix[end].Requests - prefix[start].Requests, prefix[end].Bad - prefix[start].Bad);
            }
            var requests = Over(longest).Requests;
            yield return new PreviewReading(ts, requests == 0 ? null : BurnRate.Score(level, slo.Objective, slo.Window, Over), requests, lastTraffic);
        }
    }
}
