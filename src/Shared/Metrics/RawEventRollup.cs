using Npgsql;
using PulseStream.Events;

namespace PulseStream.Metrics;

/// <summary>
/// Reads that no rollup set answers (a route or method together with a consumer, or 10-second steps with a filter)
/// are computed from raw events (<see cref="IEventStore.ScanAsync"/>): each event in [from, to) that matches the filter
/// is added to its group's (and point's) cell, the same shape <see cref="RollupReader"/> answers. Bounded by the raw
/// events' retention and the query budget, and, given <see cref="RollupRead.Limit"/>, to that many groups (the first
/// met in the scan).
/// </summary>
public sealed class RawEventRollup(IEventStore events)
{
    private static readonly string[] Columns = ["route", "method", "consumer_id", "environment"];

    public async Task<List<RollupGroup>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupRead read, CancellationToken ct)
    {
        if (read.GroupBy.Any(c => !Columns.Contains(c))) throw new ArgumentException("A group column is not an event dimension.", nameof(read));
        var filter = new EventQuery
        {
            From = read.From, To = read.To, Route = read.Filter.Route, Method = read.Filter.Method,
            ConsumerId = read.Filter.ConsumerId, Environment = read.Filter.Environment,
        };
        var cells = new Dictionary<(string Key, DateTimeOffset? Point), (string[] Key, RollupCell Cell)>();
        // With a limit, the groups past it are not kept (the caller learns there are more from getting the limit).
        var groups = new HashSet<string>(StringComparer.Ordinal);
        await events.ScanAsync(connection, transaction, tenantId, filter, e =>
        {
            DateTimeOffset? point = read.Step is { } step ? Durations.Floor(e.Timestamp, step) : null;
            if (point < read.From) point = read.From;
            var key = read.GroupBy.Select(c => c switch
            {
                "route" => e.Route,
                "method" => e.Method,
                "consumer_id" => e.ConsumerId ?? "",
                _ => e.Environment,
            }).ToArray();
            var id = (string.Join('\0', key), point);
            if (read.Limit is { } limit && !groups.Contains(id.Item1))
            {
                if (groups.Count >= limit) return;
                groups.Add(id.Item1);
            }
            if (!cells.TryGetValue(id, out var entry)) cells[id] = entry = (key, new RollupCell());
            entry.Cell.Add(e);
        }, ct);
        return cells.Select(c => new RollupGroup(c.Value.Key, c.Key.Point, c.Value.Cell)).ToList();
    }
}
