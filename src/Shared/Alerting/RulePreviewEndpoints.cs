using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>
/// <c>POST /api/v1/alert-rules/preview?range=24h&amp;step=1m</c> (Viewer): a rule body, validated as on create and not
/// saved, evaluated over the past <c>range</c> (1h to 7d, default 24h) every <c>step</c> (1m, the evaluation step, by
/// default; 5m or 1h for long ranges) from the minute rollups, or from raw events for the rules evaluated from them (a
/// route or method with a consumer; <see cref="RawEventRollup"/>, as far back as raw events are kept)
/// (<see cref="RulePreview"/>). Bounded: at most
/// <see cref="MaxGroups"/> groups and <see cref="MaxValues"/> points in all; more is a 400 that says what to narrow.
/// Two reads under the query budget: first the groups (counts only, at most <see cref="MaxGroups"/> + 1 of them), so an
/// oversized preview is refused before its series are read, then the series of the groups per minute.
/// </summary>
public sealed class RulePreviewEndpoints(AlertRuleEndpoints rules, RawEventRollup rawEvents, Slos.SloStore slos, QueryBudget budget, TimeProvider time)
{
    public const int MaxGroups = 50;
    public const int MaxValues = 100_000;
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(7);
    private static readonly string[] Steps = ["1m", "5m", "1h"];

    private static readonly Dictionary<string, string> GroupColumns = new()
    {
        ["route"] = "route", ["method"] = "method", ["environment"] = "environment", ["consumerId"] = "consumer_id",
    };

    public async Task<IActionResult> PreviewAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var rangeText = request.Query["range"].FirstOrDefault() ?? "24h";
        if (!Durations.TryParse(rangeText, out var range) || range < TimeSpan.FromHours(1) || range > MaxRange || range.Ticks % TimeSpan.TicksPerMinute != 0)
            return ApiResults.BadRequest("invalid-range", "range must be a duration from 1h to 7d, like 6h, 24h or 7d.");
        var stepText = request.Query["step"].FirstOrDefault() ?? "1m";
        if (!Steps.Contains(stepText) || !Durations.TryParse(stepText, out var step) || step > range)
            return ApiResults.BadRequest("invalid-step", $"step must be one of {string.Join(", ", Steps)}, at most the range.");
        var (body, failure) = await rules.ReadValidAsync(caller, request, ct);
        if (failure is not null) return failure;

        var rule = new AlertRule(Guid.Empty, body!, default, default);
        var condition = body!.Condition;
        var groupBy = (condition.GroupBy ?? []).Distinct().ToList();
        var columns = groupBy.Select(g => GroupColumns[g]).ToArray();
        var f = condition.Filters ?? new RuleFilters();
        var filter = new RollupFilter(f.Route, f.Method?.ToUpperInvariant(), f.ConsumerId, f.Environment);
        // Null when no rollup set answers the rule (a route or method with a consumer): read from raw events, as evaluated.
        var set = filter.SetFor(columns);

        // Evaluation times end with the window the rule evaluates now and go back one step at a time.
        var (_, to) = RollupRange.Ending(time.GetUtcNow(), rule.Window);
        var count = (int)(range / step);
        var times = Enumerable.Range(0, count).Select(k => to - step * (count - 1 - k)).ToList();
        var readFrom = times[0] - RulePreview.Lookback(rule);
        if (condition.IsBurnRate) return await PreviewBurnRateAsync(caller, rule, times, stepText, range, ct);

        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            // One group past the bound is enough to refuse: a tenant with many thousand groups is not read whole for that.
            var rows = set is null
                ? await rawEvents.ReadAsync(connection, transaction, caller.TenantId,
                    new RollupRead(RollupSet.Totals, readFrom, to, filter, columns, Step: RollupTier.Minute.Width, Limit: MaxGroups + 1), within)
                : null;
            var groupCount = rows?.Select(r => string.Join('\0', r.Key)).Distinct().Count()
                ?? (await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                    new RollupRead(set!, readFrom, to, filter, columns, RankOnly: true, Limit: MaxGroups + 1), within)).Count;
            if (groupCount > MaxGroups)
                return ApiResults.BadRequest("preview-too-large",
                    $"The rule has more than {MaxGroups} groups over the range; a preview shows at most {MaxGroups}. Add filters or group by fewer fields.");
            if ((long)groupCount * count > MaxValues)
                return ApiResults.BadRequest("preview-too-large",
                    $"{groupCount} groups × {count} evaluations is more than the {MaxValues} points a preview returns. Use a shorter range or a longer step.");

            rows ??= await RollupReader.ReadAsync(connection, transaction, caller.TenantId,
                new RollupRead(set!, readFrom, to, filter, columns, Step: RollupTier.Minute.Width, Sketches: MetricValue.NeedsSketch(condition.Metric)), within);
            string KeyOf(IReadOnlyList<string> key) => string.Join(",", groupBy.Select((name, i) => $"{name}={key[i]}"));
            var series = rows.GroupBy(r => KeyOf(r.Key), StringComparer.Ordinal)
                .Select(g => (Key: g.Key, First: g.First().Key, Requests: g.Sum(r => r.Cell.Requests), Minutes: g.ToDictionary(r => r.Point!.Value, r => r.Cell)))
                // As evaluation orders them: the busiest first, ties by key.
                .OrderByDescending(g => g.Requests).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToList();
            // An anomaly rule is validated to read a rollup set: its baselines come from the hourly rollups.
            var groups = condition.IsAnomaly
                ? await Anomalies.AnomalyPreview.EvaluateAsync(connection, transaction, caller.TenantId, rule, set!, filter, columns, groupBy,
                    series.Select(g => (g.Key, g.First, g.Minutes)).ToList(), readFrom, times, within)
                : series.Select(g => RulePreview.Evaluate(g.Key, rule, readFrom, g.Minutes, times)).ToList();
            return ApiResults.Ok(new RulePreviewResult(condition.Metric, condition.Operator, condition.Threshold, condition.Window, stepText,
                to - range, to, groups));
        }, ct);
    }

    /// <summary>A burn-rate rule's preview: its score at each evaluation time (<see cref="Slos.BurnRatePreview"/>).</summary>
    private async Task<IActionResult> PreviewBurnRateAsync(Caller caller, AlertRule rule, List<DateTimeOffset> times, string stepText, TimeSpan range, CancellationToken ct)
    {
        var condition = rule.Body.Condition;
        // Checked by ReadValidAsync; gone only if deleted since.
        if (await slos.FindAsync(caller.TenantId, condition.SloId!.Value, ct) is not { } slo)
            return ApiResults.BadRequest("invalid-rule", "The SLO does not exist.", [new FieldError("condition.sloId", $"No SLO {condition.SloId}.")]);
        if ((long)Math.Min(slo.Spec.PerConsumerTop ?? 1, MaxGroups) * times.Count > MaxValues)
            return ApiResults.BadRequest("preview-too-large",
                $"Up to {MaxGroups} consumers × {times.Count} evaluations is more than the {MaxValues} points a preview returns. Use a shorter range or a longer step.");
        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var groups = await Slos.BurnRatePreview.EvaluateAsync(connection, transaction, caller.TenantId, rule, slo.Spec, times, MaxGroups, within);
            return ApiResults.Ok(new RulePreviewResult(condition.Metric, condition.Operator, condition.Threshold, condition.Window, stepText,
                times[^1] - range, times[^1], groups));
        }, ct);
    }
}
