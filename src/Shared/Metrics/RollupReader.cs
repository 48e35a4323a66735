using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Metrics;

/// <summary>The API dimensions a read is restricted to (null: all).</summary>
public sealed record RollupFilter(string? Route = null, string? Method = null, string? ConsumerId = null, string? Environment = null)
{
    /// <summary>The set that answers reads with this filter and grouping, or null when none does (route or method with a consumer).</summary>
    public RollupSet? SetFor(IReadOnlyCollection<string> groupBy) =>
        RollupSet.For(Route is not null || groupBy.Contains("route"), Method is not null || groupBy.Contains("method"),
            ConsumerId is not null || groupBy.Contains("consumer_id"));
}

/// <summary>One group's (and, in a series, one point's) merged rollup.</summary>
public sealed record RollupGroup(IReadOnlyList<string> Key, DateTimeOffset? Point, RollupCell Cell);

/// <summary>What to read: a set over [From, To), grouped by some of its columns, optionally per step.</summary>
/// <param name="GroupBy">Columns of the set (<c>route</c>, <c>method</c>, <c>consumer_id</c>, <c>environment</c>).</param>
/// <param name="Step">For a series: points per step, aligned to UTC multiples of it; the first point starts at From.</param>
/// <param name="Sketches">Whether latency sketches are needed (percentiles), which costs more to read.</param>
/// <param name="OnlyFirst">When set, only groups whose first column has one of these values.</param>
/// <param name="RankOnly">Only the counts a ranking needs (requests, 4xx, 5xx); the other figures read as zero.</param>
/// <param name="Limit">At most this many rows (groups, without a step): a caller that only needs to know whether there are more than N reads N + 1.</param>
/// <param name="SplitOnly">Only what a split of counts, error rates and mean latency needs (requests, 4xx, 5xx and the summed latency); the other figures read as zero.</param>
public sealed record RollupRead(RollupSet Set, DateTimeOffset From, DateTimeOffset To, RollupFilter Filter, string[] GroupBy,
    TimeSpan? Step = null, bool Sketches = false, IReadOnlyCollection<string>? OnlyFirst = null, bool RankOnly = false, int? Limit = null, bool SplitOnly = false);

/// <summary>
/// Reads rollups: one SQL statement over the tier tables a range needs, sums counts in SQL (clamped to bigint:
/// <c>sum()</c> over bigint is numeric) and merges the groups' sketches here. The range is first read open-ended
/// (<see cref="RollupRange.PlanOpenEnded"/>: the window's last part from one coarse bucket that runs past its end);
/// the groups that have rows past the end (events stamped ahead of the clock) are then read again exactly
/// (<see cref="RollupRange.Plan"/>), so every answer is the exact one. Table and column names come only from
/// <see cref="RollupSet"/> and <see cref="AllowedColumns"/>, never from a request.
/// </summary>
public static class RollupReader
{
    private static readonly HashSet<string> AllowedColumns = ["route", "method", "consumer_id", "environment"];

    public static async Task<List<RollupGroup>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupRead read, CancellationToken ct)
    {
        if (read.GroupBy.Any(c => !AllowedColumns.Contains(c) || (c != "environment" && !read.Set.Dimensions.Contains(c))))
            throw new ArgumentException("A group column is not one of the set's.", nameof(read));
        if (read.From >= read.To) return [];
        var maxWidth = read.Step ?? TimeSpan.MaxValue;
        var openEnded = RollupRange.PlanOpenEnded(read.From, read.To, read.Set.Tiers, maxWidth);
        if (!openEnded.Any(s => s.BeyondEnd)) return await ReadSpansAsync(connection, transaction, tenantId, read, openEnded, ct);

        var (groups, spoiled) = await ReadSpansWithBeyondAsync(connection, transaction, tenantId, read, openEnded, ct);
        if (spoiled.Count == 0) return groups;
        var exact = RollupRange.Plan(read.From, read.To, read.Set.Tiers, maxWidth);
        // A series or an ungrouped read is read again whole; a grouped one only for the groups with rows past the end.
        if (read.Step is not null || read.GroupBy.Length == 0) return await ReadSpansAsync(connection, transaction, tenantId, read, exact, ct);
        var again = await ReadSpansAsync(connection, transaction, tenantId, read with { OnlyFirst = spoiled.Select(k => k[0]).Distinct().ToList() }, exact, ct);
        var spoiledKeys = spoiled.Select(k => string.Join('\0', k)).ToHashSet();
        return groups.Where(g => !spoiledKeys.Contains(string.Join('\0', g.Key)))
            .Concat(again.Where(g => spoiledKeys.Contains(string.Join('\0', g.Key)))).ToList();
    }

    private static async Task<List<RollupGroup>> ReadSpansAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, RollupRead read,
        List<TierSpan> spans, CancellationToken ct) => (await ReadSpansWithBeyondAsync(connection, transaction, tenantId, read, spans, ct)).Groups;

    /// <summary>The groups of the spans that are not past the end, and the keys of those that also have rows past it.</summary>
    private static async Task<(List<RollupGroup> Groups, List<string[]> Spoiled)> ReadSpansWithBeyondAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid tenantId, RollupRead read, List<TierSpan> spans, CancellationToken ct)
    {
        var groups = new List<RollupGroup>();
        var spoiled = new List<string[]>();

        var parameters = new List<NpgsqlParameter> { new() { Value = tenantId } };
        string Parameter(object value, NpgsqlDbType? type = null)
        {
            var p = new NpgsqlParameter { Value = value };
            if (type is { } t) p.NpgsqlDbType = t;
            parameters.Add(p);
            return $"${parameters.Count}";
        }
        var filters = new StringBuilder();
        if (read.Filter.Environment is { } environment) filters.Append($" AND environment = {Parameter(environment)}");
        if (read.Set == RollupSet.Routes && read.Filter.Route is { } route) filters.Append($" AND route = {Parameter(route)}");
        if (read.Set == RollupSet.Routes && read.Filter.Method is { } method) filters.Append($" AND method = {Parameter(method)}");
        if (read.Set == RollupSet.Consumers && read.Filter.ConsumerId is { } consumer) filters.Append($" AND consumer_id = {Parameter(consumer)}");
        if (read.OnlyFirst is { } only) filters.Append($" AND {read.GroupBy[0]} = ANY({Parameter(only.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})");

        var selected = string.Join(", ", read.GroupBy.Append("bucket").Concat(
            ["requests", "status_1xx", "status_2xx", "status_3xx", "status_4xx", "status_5xx", "latency_sum", "latency_max", "request_bytes", "response_bytes", "last_seen"])
            .Concat(read.Sketches ? ["sketch"] : []));
        // One branch per span, each a plain range of the primary key (an OR of ranges can make the planner read all of
        // the tenant's rows in the table).
        var union = string.Join("\n UNION ALL\n", spans.Select(span =>
            $"SELECT {selected}, {(span.BeyondEnd ? "true" : "false")} AS beyond FROM {read.Set.Table(span.Tier)} WHERE tenant_id = $1 " +
            $"AND bucket >= {Parameter(span.From.UtcDateTime, NpgsqlDbType.TimestampTz)} AND bucket < {Parameter(span.To.UtcDateTime, NpgsqlDbType.TimestampTz)}{filters}"));
        var point = read.Step is { } step
            ? $"date_bin({Parameter(step, NpgsqlDbType.Interval)}, bucket, timestamptz '2000-01-01 00:00:00+00')"
            : "NULL::timestamptz";
        var groupColumns = string.Concat(read.GroupBy.Select(c => c + ", "));
        // Rows past the end only mark their group (bool_or(beyond)); every figure is of the rows within the range.
        const string within = "FILTER (WHERE NOT beyond)";
        var figures = read.RankOnly || read.SplitOnly
            ? $"clamp_bigint(sum(requests) {within}), 0::bigint, 0::bigint, 0::bigint, clamp_bigint(sum(status_4xx) {within}), clamp_bigint(sum(status_5xx) {within}), {(read.SplitOnly ? $"sum(latency_sum) {within}" : "0::float8")}, 0::float8, 0::bigint, 0::bigint, timestamptz '2000-01-01 00:00:00+00',"
            : $"""
              clamp_bigint(sum(requests) {within}), clamp_bigint(sum(status_1xx) {within}), clamp_bigint(sum(status_2xx) {within}), clamp_bigint(sum(status_3xx) {within}),
              clamp_bigint(sum(status_4xx) {within}), clamp_bigint(sum(status_5xx) {within}), sum(latency_sum) {within}, max(latency_max) {within},
              clamp_bigint(sum(request_bytes) {within}), clamp_bigint(sum(response_bytes) {within}), max(last_seen) {within},
              """;
        var sql = $"""
            SELECT {groupColumns}{point} AS point,
                   {figures}
                   {(read.Sketches ? $"array_agg(sketch) {within}" : "NULL::bytea[]")}, bool_or(beyond)
            FROM ({union}) AS rows
            GROUP BY {groupColumns}point
            HAVING bool_or(NOT beyond)
            {(read.Limit is { } limit ? $"LIMIT {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "")}
            """;

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddRange(parameters.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        var n = read.GroupBy.Length;
        while (await reader.ReadAsync(ct))
        {
            var key = new string[n];
            for (var i = 0; i < n; i++) key[i] = reader.GetString(i);
            DateTimeOffset? at = reader.IsDBNull(n) ? null : reader.GetFieldValue<DateTimeOffset>(n);
            // The first point is clipped to the window's start: its bin may begin before it.
            if (at is { } bin && bin < read.From) at = read.From;
            var cell = new RollupCell
            {
                Requests = reader.GetInt64(n + 1),
                LatencySum = reader.GetDouble(n + 7),
                LatencyMax = reader.GetDouble(n + 8),
                RequestBytes = reader.GetInt64(n + 9),
                ResponseBytes = reader.GetInt64(n + 10),
                LastSeen = reader.GetFieldValue<DateTimeOffset>(n + 11),
            };
            for (var i = 0; i < 5; i++) cell.StatusClasses[i] = reader.GetInt64(n + 2 + i);
            if (read.Sketches)
                foreach (var sketch in reader.GetFieldValue<byte[][]>(n + 12)) SketchCodec.MergeInto(cell.Histogram, sketch);
            groups.Add(new RollupGroup(key, at, cell));
            if (reader.GetBoolean(n + 13)) spoiled.Add(key);
        }
        return (groups, spoiled);
    }
}
