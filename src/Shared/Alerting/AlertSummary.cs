using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>Mean, median and 90th percentile of a set of durations, in seconds (null when the set is empty).</summary>
public sealed record DurationStats(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P50,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? P90,
    long Count);

/// <summary>The firing alert nobody has acknowledged for the longest: since when it fires.</summary>
public sealed record UnacknowledgedAlert(Guid Id, string RuleName, DateTimeOffset Since);

/// <summary>A rule and how many alerts it fired in the window.</summary>
public sealed record NoisyRule(Guid RuleId, string RuleName, long Alerts);

/// <summary>What <c>GET /api/v1/alerts/summary</c> answers (durations in seconds).</summary>
public sealed record AlertSummary(string Window, IReadOnlyDictionary<string, long> ByState, IReadOnlyDictionary<string, long> BySeverity, long Open,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] UnacknowledgedAlert? OldestUnacknowledged,
    DurationStats Mtta, DurationStats Mttr, IReadOnlyList<NoisyRule> NoisiestRules);

/// <summary>
/// A tenant's alerting over a window, as PagerDuty's analytics count incidents (docs/API.md, "Alerts"): counts by
/// state and severity of the alerts active in the window (open at any time in it), the alerts open now and the
/// oldest one nobody acknowledged, MTTA (firing to acknowledgement) and MTTR (firing to resolution) over the alerts
/// that fired in the window, and the rules that fired most in it.
/// </summary>
public sealed class AlertSummaryQuery(Metrics.QueryBudget budget, TimeProvider time)
{
    public const string DefaultWindow = "7d";
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(90);
    public const int NoisiestRulesShown = 5;

    public async Task<IActionResult> GetAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var window = request.Query["window"].FirstOrDefault() ?? DefaultWindow;
        if (!Durations.TryParse(window, out var span) || span < TimeSpan.FromMinutes(1) || span > MaxWindow)
            return ApiResults.BadRequest("invalid-window", "window must be a duration from 1m to 90d, such as 24h or 7d.");
        var from = time.GetUtcNow() - span;
        // Within the read API's time budget, as every dashboard read: a 90-day window of a noisy tenant is bounded too.
        return await budget.RunAsync(caller.TenantId, async (c, t, within) => ApiResults.Ok(await ReadAsync(c, t, caller.TenantId, window, from, within)), ct);
    }

    private static async Task<AlertSummary> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string window, DateTimeOffset from,
        CancellationToken ct)
    {
        var byState = new Dictionary<string, long> { ["pending"] = 0, ["firing"] = 0, ["acknowledged"] = 0, ["resolved"] = 0 };
        var bySeverity = AlertRuleValidator.Severities.ToDictionary(s => s, _ => 0L);
        await using (var counts = Command(connection, transaction, tenantId, from, """
            SELECT state, severity, count(*) FROM alerts
            WHERE tenant_id = $1 AND (resolved_at IS NULL OR resolved_at >= $2)
            GROUP BY state, severity
            """))
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                byState[reader.GetString(0)] = byState.GetValueOrDefault(reader.GetString(0)) + reader.GetInt64(2);
                bySeverity[reader.GetString(1)] = bySeverity.GetValueOrDefault(reader.GetString(1)) + reader.GetInt64(2);
            }
        }

        long open;
        UnacknowledgedAlert? oldest = null;
        await using (var openNow = Command(connection, transaction, tenantId, from, """
            SELECT (SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state IN ('firing', 'acknowledged')),
                   o.id, o.rule_name, o.firing_at
            FROM (SELECT 1) one
            LEFT JOIN LATERAL (SELECT id, rule_name, firing_at FROM alerts WHERE tenant_id = $1 AND state = 'firing' ORDER BY firing_at, id LIMIT 1) o ON true
            """))
        await using (var reader = await openNow.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            open = reader.GetInt64(0);
            if (!reader.IsDBNull(1)) oldest = new UnacknowledgedAlert(reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
        }

        var mtta = await StatsAsync(connection, transaction, tenantId, from, "acknowledged_at", ct);
        var mttr = await StatsAsync(connection, transaction, tenantId, from, "resolved_at", ct);

        var noisiest = new List<NoisyRule>(NoisiestRulesShown);
        await using (var noisy = Command(connection, transaction, tenantId, from, $"""
            SELECT a.rule_id, max(a.rule_name), count(*) FROM alerts a
            WHERE a.tenant_id = $1 AND a.firing_at >= $2
            GROUP BY a.rule_id ORDER BY count(*) DESC, a.rule_id LIMIT {NoisiestRulesShown}
            """))
        await using (var reader = await noisy.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) noisiest.Add(new NoisyRule(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2)));
        }
        return new AlertSummary(window, byState, bySeverity, open, oldest, mtta, mttr, noisiest);
    }

    /// <summary>From firing to <paramref name="endColumn"/> (a column name of ours, never input), over the alerts that fired in the window and got there.</summary>
    private static async Task<DurationStats> StatsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, DateTimeOffset from, string endColumn,
        CancellationToken ct)
    {
        await using var command = Command(connection, transaction, tenantId, from, $"""
            SELECT avg(d), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.9) WITHIN GROUP (ORDER BY d), count(*)
            FROM (SELECT extract(epoch FROM {endColumn} - firing_at)::float8 AS d FROM alerts
                  WHERE tenant_id = $1 AND firing_at >= $2 AND {endColumn} IS NOT NULL) durations
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        double? At(int column) => reader.IsDBNull(column) ? null : Math.Round(reader.GetDouble(column), 3);
        return new DurationStats(At(0), At(1), At(2), reader.GetInt64(3));
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, DateTimeOffset from, string sql)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(from);
        return command;
    }
}
