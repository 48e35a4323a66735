using System.Globalization;

namespace PulseStream.Metrics;

/// <summary>Parses the API's short durations: <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>7d</c>.</summary>
public static class Durations
{
    public static readonly string[] Windows = ["5m", "15m", "1h", "6h", "24h", "7d", "30d"];
    public static readonly string[] Steps = ["10s", "1m", "5m", "1h", "1d"];

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrEmpty(text) || text.Length > 8) return false;
        if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        duration = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.MinValue,
        };
        return duration >= TimeSpan.Zero;
    }

    public static DateTimeOffset FloorToMinute(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    public static DateTimeOffset Floor(DateTimeOffset t, TimeSpan step) =>
        new(t.UtcTicks - t.UtcTicks % step.Ticks, TimeSpan.Zero);
}
