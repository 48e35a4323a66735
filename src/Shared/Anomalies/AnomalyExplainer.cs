using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Alerting.Routing;
using PulseStream.Metrics;

namespace PulseStream.Anomalies;

/// <summary>
/// Explains the anomaly alerts an evaluation fires, in its transaction (<see cref="AnomalyExplanation"/>): the band
/// the group was judged against, and the routes and consumers that moved its metric most, read from the rollups (or,
/// for a split no rollup set answers, such as the consumers of one route, from raw events) for the rule's window and
/// for the same window one, two and three seasons earlier (a day for a daily baseline, a week for a weekly one) that
/// lie within the group's history and the last <see cref="MaxReferenceAge"/>. These reads are bounded so that they
/// never cost the evaluation its alert: at most <see cref="MaxGroups"/> groups per evaluation get contributors, each
/// statement gets at most one second and all of them two; past that, or on a failed read, the reads are rolled back to
/// a savepoint and the alert fires with its band and a note saying why its contributors are missing.
/// </summary>
public static class AnomalyExplainer
{
    /// <summary>Groups explained with contributors per evaluation; others firing with them get their band only.</summary>
    public const int MaxGroups = 5;

    /// <summary>Seasons back compared with.</summary>
    public const int Seasons = 3;

    /// <summary>
    /// Reference windows are no older than this: inside the raw events' default retention (14 days), so a split read
    /// from raw events has its references, and inside the minute rollups' (30 days).
    /// </summary>
    public static readonly TimeSpan MaxReferenceAge = TimeSpan.FromDays(13);

    private static readonly TimeSpan ReadBudget = TimeSpan.FromSeconds(2);
    private const int StatementTimeoutMs = 1000;
    private const string Savepoint = "anomaly_explanation";

    /// <summary>The decisions, those that fire a group of <paramref name="scores"/> with its explanation.</summary>
    public static async Task<List<AlertDecision>> AttachAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        AnomalyScores scores, List<AlertDecision> decisions, RuleMetricQuery metrics, DateTimeOffset now, CancellationToken ct)
    {
        var firing = decisions.Where(d => d.Transition is AlertTransition.StartFiring or AlertTransition.Fire && scores.Judged.ContainsKey(d.Group))
            .Select(d => d.Group).ToList();
        if (firing.Count == 0) return decisions;
        var explained = new Dictionary<string, AnomalyExplanation>(StringComparer.Ordinal);
        var started = Stopwatch.GetTimestamp();
        var split = 0;
        foreach (var group in firing)
        {
            var judgement = scores.Judged[group];
            var band = BandOf(rule, judgement, now);
            if (judgement is not { Reading: { } reading, Baseline: { } baseline }) explained[group] = band;
            else if (split++ >= MaxGroups)
                explained[group] = band with { Note = $"Contributors are worked out for at most {MaxGroups} groups firing at once." };
            else explained[group] = await WithContributorsAsync(connection, transaction, tenantId, rule, group, band, reading, baseline, metrics, now, started, ct);
        }
        return decisions.Select(d => explained.TryGetValue(d.Group, out var e) ? d with { Explanation = e } : d).ToList();
    }

    /// <summary>The band part of a group's explanation (no contributors yet).</summary>
    internal static AnomalyExplanation BandOf(AlertRule rule, AnomalyJudgement judgement, DateTimeOffset now)
    {
        var condition = rule.Body.Condition;
        var (from, to) = RollupRange.Ending(now, rule.Window);
        if (judgement is not { Reading: { } reading, Baseline: { } baseline })
        {
            var fallback = condition.Fallback!;
            var seen = judgement.Baseline is { } young ? $" (seen since {young.HistoryFrom.ToString("u", CultureInfo.InvariantCulture)})" : "";
            return new AnomalyExplanation(condition.Metric, "none", from, to, null, null, null, judgement.Observed, null,
                fallback.Operator.StartsWith('>') ? "above" : "below", null, [],
                $"The group is still warming up{seen}: it fired by the rule's fallback threshold ({fallback.Operator} {fallback.Threshold.ToString(CultureInfo.InvariantCulture)}).");
        }
        return new AnomalyExplanation(condition.Metric, baseline.Seasonality, from, to, reading.Expected, reading.Lower, reading.Upper, reading.Observed,
            reading.Sigmas, reading.Sigmas >= 0 ? "above" : "below", null, [], null);
    }

    private static async Task<AnomalyExplanation> WithContributorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        string group, AnomalyExplanation band, AnomalyReading reading, AnomalyBaseline baseline, RuleMetricQuery metrics, DateTimeOffset now, long started, CancellationToken ct)
    {
        var season = baseline.Seasonality == AnomalyBaseline.Weekly ? TimeSpan.FromDays(7) : TimeSpan.FromDays(1);
        var references = Enumerable.Range(1, Seasons).Select(i => band.From - season * i)
            .Where(from => from >= baseline.HistoryFrom && now - from <= MaxReferenceAge).ToList();
        if (references.Count == 0) return band with { Note = "There is no earlier window in the group's history to compare with." };
        var filter = FilterOf(rule.Body.Condition, group);
        // A route is read with its method (the dashboard's route is the pair), keyed "METHOD /path".
        var dimensions = new List<(string Name, string[] Columns)>();
        if (filter.Route is null) dimensions.Add(("route", ["route", "method"]));
        if (filter.ConsumerId is null) dimensions.Add(("consumerId", ["consumer_id"]));
        var basis = AnomalyContributions.BasisOf(rule.Body.Condition.Metric);

        await transaction.SaveAsync(Savepoint, ct);
        try
        {
            string previous;
            await using (var limit = new NpgsqlCommand("""
                SELECT s.old, set_config('statement_timeout', (CASE WHEN s.ms = 0 THEN $1 ELSE least(s.ms, $1) END)::bigint::text, true)
                FROM (SELECT current_setting('statement_timeout') AS old,
                             extract(epoch FROM current_setting('statement_timeout')::interval) * 1000 AS ms) s
                """, connection, transaction))
            {
                limit.Parameters.AddWithValue((double)StatementTimeoutMs);
                previous = (string)(await limit.ExecuteScalarAsync(ct))!;
            }

            async Task<List<RollupGroup>> ReadAsync(DateTimeOffset from, string[] columns)
            {
                if (Stopwatch.GetElapsedTime(started) > ReadBudget) throw new TimeoutException();
                return await metrics.ReadCellsAsync(connection, transaction, tenantId, new RollupRead(RollupSet.Totals, from, from + rule.Window, filter, columns), ct);
            }

            async Task<(Tally Total, Dictionary<string, Tally>[] Parts)> WindowAsync(DateTimeOffset from)
            {
                var total = (await ReadAsync(from, [])).Aggregate(default(Tally), (sum, g) => sum + AnomalyContributions.TallyOf(basis, g.Cell));
                var parts = new Dictionary<string, Tally>[dimensions.Count];
                for (var i = 0; i < dimensions.Count; i++)
                {
                    parts[i] = new Dictionary<string, Tally>(StringComparer.Ordinal);
                    // Raw events name requests without a consumer ""; the consumers' rollups leave them out. Either way
                    // they are the part without a value (AnomalyContributions.Rank).
                    foreach (var g in (await ReadAsync(from, dimensions[i].Columns)).Where(g => g.Key[0].Length > 0))
                    {
                        var value = g.Key.Count == 2 ? $"{g.Key[1]} {g.Key[0]}" : g.Key[0];
                        parts[i][value] = parts[i].GetValueOrDefault(value) + AnomalyContributions.TallyOf(basis, g.Cell);
                    }
                }
                return (total, parts);
            }

            var current = await WindowAsync(band.From);
            var beforeTotal = default(Tally);
            var beforeParts = dimensions.Select(_ => new Dictionary<string, Tally>(StringComparer.Ordinal)).ToArray();
            foreach (var reference in references)
            {
                var window = await WindowAsync(reference);
                beforeTotal += window.Total;
                for (var i = 0; i < dimensions.Count; i++)
                    foreach (var (value, tally) in window.Parts[i]) beforeParts[i][value] = beforeParts[i].GetValueOrDefault(value) + tally;
            }
            var parts = new Dictionary<string, Dictionary<string, (Tally Now, Tally Before)>>(StringComparer.Ordinal);
            for (var i = 0; i < dimensions.Count; i++)
                parts[dimensions[i].Name] = current.Parts[i].Keys.Union(beforeParts[i].Keys)
                    .ToDictionary(v => v, v => (current.Parts[i].GetValueOrDefault(v), beforeParts[i].GetValueOrDefault(v)), StringComparer.Ordinal);
            var (comparison, contributors) = AnomalyContributions.Rank(basis, references, current.Total, beforeTotal, parts, up: reading.Sigmas >= 0);

            await using (var restore = new NpgsqlCommand("SELECT set_config('statement_timeout', $1, true)", connection, transaction))
            {
                restore.Parameters.AddWithValue(previous);
                await restore.ExecuteNonQueryAsync(ct);
            }
            await transaction.ReleaseAsync(Savepoint, ct);
            return band with { Comparison = comparison, Contributors = contributors.Select(AnomalyContributions.WithMethod).ToList() };
        }
        catch (Exception e) when (e is TimeoutException or PostgresException or NpgsqlException { InnerException: PostgresException })
        {
            // The savepoint undoes the shorter statement timeout too. A broken connection is no such failure: the
            // evaluation's own error handling takes it.
            await transaction.RollbackAsync(Savepoint, ct);
            var timedOut = e is TimeoutException || (e as PostgresException ?? e.InnerException as PostgresException)?.SqlState == PostgresErrorCodes.QueryCanceled;
            return band with
            {
                Note = timedOut
                    ? $"The routes and consumers behind it could not be read within {ReadBudget.TotalSeconds:0} s."
                    : "The routes and consumers behind it could not be read: the read failed.",
            };
        }
    }

    /// <summary>The rule's filters narrowed to one group (its parts win over the filters, as in <see cref="AlertLabels"/>).</summary>
    private static RollupFilter FilterOf(RuleCondition condition, string group)
    {
        var filter = RuleReadBatch.FilterOf(condition);
        var parts = AlertLabels.GroupKeyParts(condition.GroupBy, group);
        return new RollupFilter(parts.GetValueOrDefault("route") ?? filter.Route, parts.GetValueOrDefault("method")?.ToUpperInvariant() ?? filter.Method,
            parts.GetValueOrDefault("consumerId") ?? filter.ConsumerId, parts.GetValueOrDefault("environment") ?? filter.Environment);
    }
}
