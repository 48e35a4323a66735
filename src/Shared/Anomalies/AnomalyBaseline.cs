namespace PulseStream.Anomalies;

/// <summary>One hour of a group's history: its requests and the metric over that hour (null when it had no requests).</summary>
public readonly record struct HourSample(DateTimeOffset Hour, long Requests, double? Value);

/// <summary>
/// A group's seasonal baseline, precomputed from its hourly history (<see cref="AnomalyModel.Build"/>) and stored
/// (<see cref="AnomalyBaselineStore"/>), so an evaluation reads one row instead of weeks of rollups.
/// <paramref name="Slots"/> hold the expected value per hour of the week (168, <c>weekly</c>) or of the day (24,
/// <c>daily</c>) in the metric's working scale (<see cref="AnomalyScale"/>); <paramref name="Level"/> is how far the
/// last day ran from them (a trend, or a shift that has become the new normal); <paramref name="Spread"/> is the
/// robust standard deviation of the hourly residuals (1.4826 × their median absolute deviation).
/// </summary>
public sealed record AnomalyBaseline(
    string Metric, string Seasonality, DateTimeOffset HistoryFrom, DateTimeOffset ComputedAt, double[] Slots, double Level, double Spread, int Samples)
{
    public const string Weekly = "weekly";
    public const string Daily = "daily";

    /// <summary>The slot an instant falls in: hour of the week (Monday 00:00 UTC is 0) or hour of the day.</summary>
    public static int SlotOf(string seasonality, DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var hourOfDay = utc.Hour;
        if (seasonality == Daily) return hourOfDay;
        var dayOfWeek = ((int)utc.DayOfWeek + 6) % 7;
        return dayOfWeek * 24 + hourOfDay;
    }
}
