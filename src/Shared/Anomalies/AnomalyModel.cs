namespace PulseStream.Anomalies;

/// <summary>
/// Where a value was expected and where it was: the band (in the metric's units, over the rule's window), the observed
/// value, how many robust standard deviations it lies from the expected value (<see cref="Sigmas"/>, negative below),
/// and the score: the distance in the rule's direction as a share of the band's half-width, so 1 is its edge and an
/// anomaly scores at least 1.
/// </summary>
public sealed record AnomalyReading(double Expected, double Lower, double Upper, double Observed, double Sigmas, double Score);

/// <summary>
/// How a group's hourly history becomes a seasonal baseline, and how a value is judged against it. The formulas are in
/// docs/ALERTING.md ("Anomaly rules").
/// </summary>
public static class AnomalyModel
{
    /// <summary>History read for a baseline: four weeks, so each hour of the week has up to four samples.</summary>
    public static readonly TimeSpan History = TimeSpan.FromDays(28);

    /// <summary>History a group needs before it has a daily baseline (hour of the day); until then it is warming up.</summary>
    public static readonly TimeSpan DailyWarmUp = TimeSpan.FromDays(3);

    /// <summary>History a group needs before it has a weekly baseline (hour of the week), as Datadog and Azure Monitor ask.</summary>
    public static readonly TimeSpan WeeklyWarmUp = TimeSpan.FromDays(21);

    public static readonly string[] Sensitivities = ["low", "medium", "high"];
    public static readonly string[] Directions = ["above", "below", "both"];

    /// <summary>The band's half-width in robust standard deviations per sensitivity (set with <c>./pulse bench --only anomaly</c>).</summary>
    public static double WidthOf(string? sensitivity) => sensitivity switch
    {
        "low" => 6,
        "high" => 3.5,
        _ => 4.5,
    };

    /// <summary>
    /// A baseline from the group's hourly samples before <paramref name="now"/> (at most <see cref="History"/>, in any
    /// order); null when the group has none with requests. A group seen for less than <see cref="DailyWarmUp"/> gets a
    /// baseline without slots: it is warming up. For request counts an hour without a sample after the group's first one
    /// counts as zero requests; for the other metrics it is no sample.
    /// </summary>
    public static AnomalyBaseline? Build(string metric, IEnumerable<HourSample> hours, DateTimeOffset now)
    {
        var lastHour = HourOf(now);
        var samples = hours.Where(h => h.Hour < lastHour && h.Hour >= lastHour - History).OrderBy(h => h.Hour).ToList();
        var first = samples.FirstOrDefault(h => h.Requests > 0);
        if (first.Requests == 0) return null;
        var historyFrom = first.Hour;
        var points = new List<(DateTimeOffset Hour, double Scaled)>();
        if (AnomalyScale.IsRate(metric))
        {
            var byHour = samples.ToDictionary(h => h.Hour, h => h.Requests);
            for (var hour = historyFrom; hour < lastHour; hour = hour.AddHours(1))
                points.Add((hour, AnomalyScale.ToScale(metric, byHour.GetValueOrDefault(hour), 60)));
        }
        else
            points.AddRange(samples.Where(h => h.Requests > 0 && h.Value is not null && h.Hour >= historyFrom).Select(h => (h.Hour, AnomalyScale.ToScale(metric, h.Value!.Value, 60))));

        var seen = now - historyFrom;
        if (seen < DailyWarmUp || points.Count == 0) return new AnomalyBaseline(metric, "none", historyFrom, now, [], 0, 0, points.Count);
        var seasonality = seen >= WeeklyWarmUp ? AnomalyBaseline.Weekly : AnomalyBaseline.Daily;

        var daily = SlotValues(points, AnomalyBaseline.Daily, 24);
        var slotValues = seasonality == AnomalyBaseline.Daily ? daily : SlotValues(points, AnomalyBaseline.Weekly, 168);
        var overall = Median(points.Select(p => p.Scaled).ToList());
        var dailyMedians = daily.Select(v => v.Count > 0 ? Median(v) : overall).ToArray();
        var slots = slotValues.Select((v, s) => v.Count > 0 ? Median(v) : dailyMedians[seasonality == AnomalyBaseline.Daily ? s : s % 24]).ToArray();

        // Residuals against the median of the slot's other samples: against its own, a slot of three always has one
        // residual of 0, and the spread would come out too narrow.
        var residuals = new List<double>(points.Count);
        foreach (var (hour, scaled) in points)
        {
            var own = slotValues[AnomalyBaseline.SlotOf(seasonality, hour)];
            var others = own.Count > 1 ? own : daily[hour.UtcDateTime.Hour];
            if (others.Count < 2) continue;
            residuals.Add(scaled - MedianWithout(others, scaled));
        }
        var recent = points.Where(p => p.Hour >= lastHour.AddHours(-24)).Select(p => p.Scaled - slots[AnomalyBaseline.SlotOf(seasonality, p.Hour)]).ToList();
        var level = recent.Count >= 6 ? Median(recent) : 0;
        var middle = Median(residuals);
        var spread = residuals.Count == 0 ? 0 : 1.4826 * Median(residuals.Select(r => Math.Abs(r - middle)).ToList());
        return new AnomalyBaseline(metric, seasonality, historyFrom, now, slots, level, spread, points.Count);
    }

    /// <summary>When a group first seen at <paramref name="historyFrom"/> has a daily and a weekly baseline.</summary>
    public static (DateTimeOffset Daily, DateTimeOffset Weekly) ReadyAt(DateTimeOffset historyFrom) => (historyFrom + DailyWarmUp, historyFrom + WeeklyWarmUp);

    /// <summary>
    /// The band at <paramref name="at"/> for a value read over <paramref name="minutes"/> from
    /// <paramref name="requests"/> requests, and how <paramref name="observed"/> compares with it in
    /// <paramref name="direction"/>; null while the baseline is warming up.
    /// </summary>
    public static AnomalyReading? Judge(AnomalyBaseline baseline, DateTimeOffset at, double minutes, long requests, double observed, string? sensitivity, string? direction)
    {
        if (baseline.Slots.Length == 0) return null;
        var metric = baseline.Metric;
        var center = baseline.Slots[AnomalyBaseline.SlotOf(baseline.Seasonality, at)] + baseline.Level;
        var hourly = Math.Max(baseline.Spread, AnomalyScale.Floor(metric));
        var sd = Math.Sqrt(hourly * hourly + Math.Pow(AnomalyScale.SamplingSd(metric, center, minutes, requests), 2));
        var width = WidthOf(sensitivity) * sd;
        var sigmas = (AnomalyScale.ToScale(metric, observed, minutes) - center) / sd;
        var outside = direction switch
        {
            "above" => sigmas,
            "below" => -sigmas,
            _ => Math.Abs(sigmas),
        };
        return new AnomalyReading(
            AnomalyScale.FromScale(metric, center, minutes), AnomalyScale.FromScale(metric, center - width, minutes),
            AnomalyScale.FromScale(metric, center + width, minutes), observed, Math.Round(sigmas, 3), Math.Round(Math.Max(0, outside) / WidthOf(sensitivity), 6));
    }

    /// <summary>The start of the UTC hour <paramref name="at"/> falls in.</summary>
    internal static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcDateTime.Date.AddHours(at.UtcDateTime.Hour), TimeSpan.Zero);

    private static List<double>[] SlotValues(List<(DateTimeOffset Hour, double Scaled)> points, string seasonality, int count)
    {
        var slots = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        foreach (var (hour, scaled) in points) slots[AnomalyBaseline.SlotOf(seasonality, hour)].Add(scaled);
        return slots;
    }

    private static double MedianWithout(List<double> values, double one)
    {
        var rest = new List<double>(values);
        rest.Remove(one);
        return Median(rest);
    }

    internal static double Median(List<double> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
