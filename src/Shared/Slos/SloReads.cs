using Npgsql;
using PulseStream.Metrics;

namespace PulseStream.Slos;

/// <summary>
/// An SLO's good and bad requests from the rollups, through the set its filters name (the same sets and tiers the
/// dashboard and the rules read): availability counts 5xx as bad; latency counts as bad what the sketches place
/// above the threshold, exact to the sketch's 1%.
/// </summary>
public static class SloReads
{
    internal static RollupSet SetOf(RollupFilter filter) => filter.SetFor([]) ?? RollupSet.Totals;

    public static SloCounts CountsOf(ValidSlo slo, RollupCell cell) => slo.Sli == "latency"
        ? new SloCounts(cell.Requests, cell.Requests - Math.Min(cell.Requests, cell.Histogram.CountAtMost(slo.ThresholdMs!.Value)))
        : new SloCounts(cell.Requests, cell.Errors5xx);

    public static async Task<SloCounts> CountsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, ValidSlo slo,
        DateTimeOffset from, DateTimeOffset to, RollupFilter? filter, CancellationToken ct)
    {
        var f = filter ?? slo.Filters;
        var cell = (await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(SetOf(f), from, to, f, [], Sketches: slo.Sli == "latency"), ct))
            .SingleOrDefault()?.Cell;
        return cell is null ? default : CountsOf(slo, cell);
    }

    /// <summary>Counts per step over [from, to), one per step start (empty steps included), for the series.</summary>
    public static async Task<List<(DateTimeOffset Ts, SloCounts Counts)>> StepsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        ValidSlo slo, DateTimeOffset from, DateTimeOffset to, TimeSpan step, CancellationToken ct)
    {
        var groups = (await RollupReader.ReadAsync(connection, transaction, tenantId,
                new RollupRead(SetOf(slo.Filters), from, to, slo.Filters, [], step, Sketches: slo.Sli == "latency"), ct))
            .ToDictionary(g => g.Point!.Value, g => CountsOf(slo, g.Cell));
        var steps = new List<(DateTimeOffset, SloCounts)> { (from, groups.GetValueOrDefault(from)) };
        for (var t = Durations.Floor(from, step) + step; t < to; t += step) steps.Add((t, groups.GetValueOrDefault(t)));
        return steps;
    }

    /// <summary>The top <paramref name="top"/> consumers by requests over [from, to) and their counts (the per-consumer template).</summary>
    public static async Task<List<(string ConsumerId, SloCounts Counts)>> ConsumersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        ValidSlo slo, DateTimeOffset from, DateTimeOffset to, int top, CancellationToken ct)
    {
        var ranked = (await RankConsumersAsync(connection, transaction, tenantId, slo, from, to, ct)).Take(top).ToList();
        var cells = await ConsumerCountsAsync(connection, transaction, tenantId, slo, from, to, ranked, ct);
        return ranked.Select(c => (c, cells.GetValueOrDefault(c))).ToList();
    }

    /// <summary>The consumers with requests over [from, to) in the SLO's environment, the busiest first (ties by id); counts only.</summary>
    public static async Task<List<string>> RankConsumersAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        ValidSlo slo, DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        (await RollupReader.ReadAsync(connection, transaction, tenantId,
            new RollupRead(RollupSet.Consumers, from, to, slo.Filters, ["consumer_id"], RankOnly: true), ct))
        .OrderByDescending(g => g.Cell.Requests).ThenBy(g => g.Key[0], StringComparer.Ordinal).Select(g => g.Key[0]).ToList();

    /// <summary>The counts of <paramref name="consumers"/> over [from, to) (a consumer without requests is left out).</summary>
    public static async Task<Dictionary<string, SloCounts>> ConsumerCountsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        ValidSlo slo, DateTimeOffset from, DateTimeOffset to, IReadOnlyCollection<string> consumers, CancellationToken ct)
    {
        if (consumers.Count == 0) return [];
        return (await RollupReader.ReadAsync(connection, transaction, tenantId,
                new RollupRead(RollupSet.Consumers, from, to, slo.Filters, ["consumer_id"], Sketches: slo.Sli == "latency", OnlyFirst: consumers), ct))
            .ToDictionary(g => g.Key[0], g => CountsOf(slo, g.Cell), StringComparer.Ordinal);
    }
}
