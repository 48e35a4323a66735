namespace PulseStream.Events;

/// <summary>
/// Filters for reading raw events, newest first. Every filter is optional; <see cref="From"/> is inclusive and
/// <see cref="To"/> exclusive. A status is a code (<see cref="StatusCode"/>) or a class (<see cref="StatusClass"/>, 1-5), not both.
/// </summary>
public sealed record EventQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public int Limit { get; init; } = DefaultLimit;
    public string? Route { get; init; }
    public string? Method { get; init; }
    public int? StatusCode { get; init; }
    public int? StatusClass { get; init; }
    public string? ConsumerId { get; init; }
    public string? Environment { get; init; }
    public double? MinLatencyMs { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>Where the previous page ended: only events after it (older, or as old with a smaller id) are returned.</summary>
    public EventCursor? Cursor { get; init; }

    /// <summary>Whether an event passes every filter, the cursor included: the one definition both layouts agree on.</summary>
    public bool Matches(long id, ApiEvent e)
    {
        var micros = EventCursor.ToMicros(e.Timestamp);
        return (Route is null || e.Route == Route)
            && (Method is null || e.Method == Method)
            && (StatusCode is not { } code || e.StatusCode == code)
            && (StatusClass is not { } statusClass || e.StatusCode / 100 == statusClass)
            && (ConsumerId is null || e.ConsumerId == ConsumerId)
            && (Environment is null || e.Environment == Environment)
            && (MinLatencyMs is not { } min || e.LatencyMs >= min)
            && (From is not { } from || micros >= EventCursor.ToMicros(from))
            && (To is not { } to || micros < EventCursor.ToMicros(to))
            && (Cursor is not { } cursor || cursor.IsAfter(micros, id));
    }
}
