using Npgsql;
using NpgsqlTypes;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>A rule metric's value for one group over the rule's window, with the request count behind it.</summary>
public sealed record GroupValue(string GroupKey, double? Value, long Requests);

/// <summary>
/// Computes a rule's metric per group from the per-minute rollups, for at most <c>limit</c> groups: first the groups
/// that have an open alert (so an alert keeps being evaluated however busy other groups are), then the busiest,
/// ties by group key, so the cut is deterministic.
/// </summary>
public static class RuleMetricQuery
{
    private static readonly Dictionary<string, string> GroupColumns = new()
    {
        ["route"] = "route", ["method"] = "method", ["environment"] = "environment", ["consumerId"] = "consumer_id",
    };

    public static async Task<List<GroupValue>> ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule, DateTimeOffset now,
        IReadOnlyCollection<string> openGroups, int limit, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        var groupBy = (condition.GroupBy ?? []).Where(GroupColumns.ContainsKey).Distinct().ToList();
        // Column names come only from the fixed map above, never from the request.
        var keyExpression = groupBy.Count == 0 ? "''" : string.Join(" || ',' || ", groupBy.Select(g => $"'{g}=' || {GroupColumns[g]}"));
        var needsHistogram = condition.Metric.StartsWith("latency_p", StringComparison.Ordinal);
        var sql = $"""
            WITH measured AS (
                SELECT {keyExpression} AS group_key,
                       clamp_bigint(sum(request_count)) AS requests,
                       clamp_bigint(coalesce(sum(request_count) FILTER (WHERE status_class = 5), 0)) AS errors,
                       clamp_bigint(coalesce(sum(request_count) FILTER (WHERE status_class = 4), 0)) AS client_errors,
                       sum(latency_sum) AS latency_sum,
                       {(needsHistogram ? "histogram_sum(histogram)" : "NULL::jsonb")} AS histogram
                FROM rollups_minute
                WHERE tenant_id = $1 AND bucket >= $2 AND bucket <= $3
                  AND ($4::text IS NULL OR route = $4) AND ($5::text IS NULL OR method = $5)
                  AND ($6::text IS NULL OR environment = $6) AND ($7::text IS NULL OR consumer_id = $7)
                GROUP BY 1)
            SELECT m.group_key, m.requests, m.errors, m.client_errors, m.latency_sum, m.histogram::text
            FROM measured m LEFT JOIN unnest($8::text[]) AS o(group_key) ON o.group_key = m.group_key
            ORDER BY (o.group_key IS NOT NULL) DESC, m.requests DESC, m.group_key
            LIMIT $9
            """;
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(Durations.FloorToMinute(now - rule.Window));
        command.Parameters.AddWithValue(now);
        var filters = condition.Filters ?? new RuleFilters();
        foreach (var value in new[] { filters.Route, filters.Method?.ToUpperInvariant(), filters.Environment, filters.ConsumerId })
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = openGroups.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.AddWithValue(limit);

        var values = new List<GroupValue>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var requests = reader.GetInt64(1);
            var histogram = reader.IsDBNull(5) ? null : LatencyHistogram.FromJson(reader.GetString(5));
            double? value = requests == 0 ? null : condition.Metric switch
            {
                "request_count" => requests,
                "error_rate" => (double)reader.GetInt64(2) / requests,
                "client_error_rate" => (double)reader.GetInt64(3) / requests,
                "latency_avg" => reader.GetDouble(4) / requests,
                "latency_p50" => histogram?.Quantile(0.50),
                "latency_p95" => histogram?.Quantile(0.95),
                "latency_p99" => histogram?.Quantile(0.99),
                _ => null,
            };
            values.Add(new GroupValue(reader.GetString(0), value, requests));
        }
        return values;
    }
}
