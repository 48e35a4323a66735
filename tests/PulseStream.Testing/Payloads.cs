namespace PulseStream.Testing;

/// <summary>Builds ingest payloads.</summary>
public static class Payloads
{
    public static object Event(string route = "/v1/things/{id}", int status = 200, double latencyMs = 10, string? eventId = null, string? consumerId = "c1", DateTimeOffset? at = null) => new
    {
        eventId,
        timestamp = (at ?? DateTimeOffset.UtcNow).ToString("O"),
        method = "GET",
        path = route.Replace("{id}", "42", StringComparison.Ordinal),
        route,
        statusCode = status,
        latencyMs,
        consumerId,
    };

    public static object Batch(IEnumerable<object> events) => new { events = events.ToArray() };
}
