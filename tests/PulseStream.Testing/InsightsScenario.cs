namespace PulseStream.Testing;

/// <summary>
/// Traffic whose insights are known: in the same hour on each of three earlier days, alice calls <c>GET /a</c> and bob
/// calls <c>GET /b</c> once a minute at 20 ms; in the hour before <c>end</c>, <c>/a</c> takes 80 ms, bob's calls to
/// <c>/b</c> all fail (500) and <c>GET /c</c> (no consumer) is new, once a minute too.
/// </summary>
public static class InsightsScenario
{
    public static List<object> Traffic(DateTimeOffset end)
    {
        object Event(DateTimeOffset at, string route, string? consumerId, int status, double latency) =>
            new { timestamp = at.ToString("O"), method = "GET", path = route, route, statusCode = status, latencyMs = latency, consumerId };
        var events = new List<object>();
        for (var ago = 1; ago <= 60; ago++)
        {
            var at = end.AddMinutes(-ago).AddSeconds(10);
            events.Add(Event(at, "/a", "alice", 200, 80));
            events.Add(Event(at, "/b", "bob", 500, 20));
            events.Add(Event(at, "/c", null, 200, 20));
            for (var day = 1; day <= 3; day++)
            {
                events.Add(Event(at.AddDays(-day), "/a", "alice", 200, 20));
                events.Add(Event(at.AddDays(-day), "/b", "bob", 200, 20));
            }
        }
        return events;
    }

    /// <summary>The start of the minute that holds <paramref name="now"/>.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset now) => new(now.UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
}
