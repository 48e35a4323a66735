using Npgsql;
using PulseStream.Alerting;
using PulseStream.Metrics;

namespace PulseStream.Anomalies;

/// <summary>
/// An anomaly rule's preview: at each evaluation time, the group's metric over the window (<see cref="RulePreview"/>)
/// judged against the baseline the group had then, built from the four weeks of hours before that hour as the hourly
/// timer builds it (<see cref="AnomalyModel.Build"/>); the point's value is the score, its band the expected value, the
/// band's edges and the observed value. The would-be alerts are the evaluator's state machine over the scores
/// (<see cref="RulePreview.Replay"/>). As live, a request-count group with a baseline and no requests reads as 0.
/// </summary>
public static class AnomalyPreview
{
    public static async Task<List<PreviewGroup>> EvaluateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        RollupSet set, RollupFilter filter, string[] columns, IReadOnlyList<string> groupBy,
        IReadOnlyList<(string Key, IReadOnlyList<string> FirstValues, Dictionary<DateTimeOffset, RollupCell> Minutes)> groups,
        DateTimeOffset readFrom, IReadOnlyList<DateTimeOffset> times, CancellationToken ct)
    {
        if (groups.Count == 0) return [];
        var condition = rule.Body.Condition;
        var firstHour = AnomalyModel.HourOf(times[0]) - AnomalyModel.History;
        var hours = await RollupReader.ReadAsync(connection, transaction, tenantId, new RollupRead(set, firstHour, AnomalyModel.HourOf(times[^1]), filter, columns,
            Step: TimeSpan.FromHours(1), Sketches: MetricValue.NeedsSketch(condition.Metric),
            OnlyFirst: columns.Length == 0 ? null : groups.Select(g => g.FirstValues[0]).Distinct().ToList()), ct);
        string KeyOf(IReadOnlyList<string> key) => string.Join(",", groupBy.Select((name, i) => $"{name}={key[i]}"));
        var history = hours.Where(h => h.Point is not null).GroupBy(h => KeyOf(h.Key), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(h => new HourSample(h.Point!.Value, h.Cell.Requests, MetricValue.Of(condition.Metric, h.Cell))).ToList(),
                StringComparer.Ordinal);
        var minutes = rule.Window.TotalMinutes;
        var result = new List<PreviewGroup>(groups.Count);
        foreach (var (key, _, cells) in groups)
        {
            var samples = history.GetValueOrDefault(key) ?? [];
            var baselines = new Dictionary<DateTimeOffset, AnomalyBaseline?>();
            var bands = new List<PreviewBand?>(times.Count);
            var readings = new List<PreviewReading>(times.Count);
            foreach (var reading in RulePreview.Readings(rule, readFrom, cells, times))
            {
                var hour = AnomalyModel.HourOf(reading.Ts);
                if (!baselines.TryGetValue(hour, out var baseline)) baselines[hour] = baseline = AnomalyModel.Build(condition.Metric, samples, reading.Ts);
                var judged = baseline is not null && baseline.Slots.Length > 0;
                var silentRate = judged && reading.Requests == 0 && AnomalyScale.IsRate(condition.Metric);
                var observed = silentRate ? 0 : reading.Value;
                var band = judged && observed is { } o
                    ? AnomalyModel.Judge(baseline!, reading.Ts - rule.Window / 2, minutes, reading.Requests, o, condition.Sensitivity, condition.Direction)
                    : null;
                var score = band?.Score ?? (judged ? null : AnomalyRules.FallbackScore(condition, reading.Value));
                // A silent group with a baseline is judged live as long as it has one: here it counts as heard from.
                readings.Add(reading with { Value = score, LastTraffic = silentRate ? reading.Ts : reading.LastTraffic });
                bands.Add(band is not null ? new PreviewBand(baseline!.Seasonality, band.Expected, band.Lower, band.Upper, band.Observed)
                    : observed is null ? null : new PreviewBand("warming-up", null, null, null, observed));
            }
            var replayed = RulePreview.Replay(key, rule, readings, times);
            result.Add(replayed with { Points = replayed.Points.Select((p, i) => p with { Band = bands[i] }).ToList() });
        }
        return result;
    }
}
