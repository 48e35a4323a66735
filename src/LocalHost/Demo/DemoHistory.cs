using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace PulseStream.LocalHost.Demo;

/// <summary>
/// The demo's past: on start, the part of the last 24 hours the demo traffic has not covered yet (all of it on a
/// first run, the gap since the last run otherwise) is sent through the real ingest route with past timestamps, at a
/// daily rhythm (quiet nights, busy afternoons) and one incident hour of checkout errors six hours ago, so that the
/// 6-hour, 24-hour and 7-day windows show traffic as soon as the demo starts. What is covered is remembered in
/// <c>.pulse/demo-history.json</c>. History is thinner than the live traffic (a few events per second) to keep the
/// fill to a minute or two on a laptop.
/// </summary>
public sealed class DemoHistory(LocalHostPaths paths, TimeProvider time, ILogger logger, TimeSpan? pace = null)
{
    /// <summary>The pause after each batch: half the tenant's sustained rate at most, so the live traffic beside it is never refused.</summary>
    private readonly TimeSpan _pace = pace ?? TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Depth = TimeSpan.FromHours(24);
    private const int EventsPerMinuteAtPeak = 480;
    private const int BatchSize = 1000;
    private static readonly TimeSpan SaveEvery = TimeSpan.FromMinutes(1);

    private string File => Path.Combine(paths.StateDir, "demo-history.json");
    private DateTimeOffset _lastSaved = DateTimeOffset.MinValue;

    /// <summary>Sends the uncovered part of the last 24 hours before <paramref name="until"/>; failures are logged, never thrown.</summary>
    public async Task FillAsync(HttpClient http, DateTimeOffset until, Func<Random, DateTimeOffset, object> makeEvent, CancellationToken ct)
    {
        var from = Max(LoadCovered() ?? DateTimeOffset.MinValue, until - Depth);
        if (until - from < TimeSpan.FromMinutes(1)) return;
        logger.LogInformation("Demo history: filling {From:u} to {Until:u}", from, until);
        var random = new Random();
        var batch = new List<object>(BatchSize);
        var sent = 0;
        try
        {
            for (var minute = from; minute < until; minute = minute.AddMinutes(1))
            {
                var count = (int)(EventsPerMinuteAtPeak * DailyShape(minute) * (0.9 + 0.2 * random.NextDouble()));
                var incident = until - minute is var ago && ago > TimeSpan.FromHours(6) && ago <= TimeSpan.FromHours(7);
                for (var i = 0; i < count; i++)
                {
                    var at = minute.AddMilliseconds(random.Next(0, 60_000));
                    if (at >= until) continue;
                    batch.Add(incident && random.Next(4) == 0 ? IncidentEvent(random, at) : makeEvent(random, at));
                    if (batch.Count == BatchSize) sent += await SendAsync(http, batch, ct);
                }
            }
            if (batch.Count > 0) sent += await SendAsync(http, batch, ct);
            Covered(until, force: true);
            logger.LogInformation("Demo history: {Count} past events sent", sent);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Demo history stopped after {Count} events: {Error}", sent, e.Message);
        }
    }

    /// <summary>Remembers that the demo covered everything up to <paramref name="at"/> (written at most once a minute).</summary>
    public void Covered(DateTimeOffset at, bool force = false)
    {
        if (!force && at - _lastSaved < SaveEvery) return;
        _lastSaved = at;
        LocalSettings.WritePrivate(File, $$"""{"coveredUntil":"{{at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}}"}""");
    }

    private DateTimeOffset? LoadCovered()
    {
        try
        {
            if (!System.IO.File.Exists(File)) return null;
            using var doc = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(File));
            return doc.RootElement.GetProperty("coveredUntil").GetDateTimeOffset();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Sends one batch, waiting out the tenant's rate limit when it answers 429; clears the batch.</summary>
    private async Task<int> SendAsync(HttpClient http, List<object> batch, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.PostAsJsonAsync("api/v1/events/batch", new { events = batch }, ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), time, ct);
                continue;
            }
            if (!response.IsSuccessStatusCode) logger.LogWarning("Demo history batch answered {Status}", (int)response.StatusCode);
            var count = batch.Count;
            batch.Clear();
            if (_pace > TimeSpan.Zero) await Task.Delay(_pace, time, ct);
            return count;
        }
    }

    /// <summary>0.15 at 04:00 UTC rising to 1 at 16:00 UTC: the day of an API most of whose users are awake together.</summary>
    private static double DailyShape(DateTimeOffset at) =>
        0.575 - 0.425 * Math.Cos((at.UtcDateTime.TimeOfDay.TotalHours - 4) / 24 * 2 * Math.PI);

    private static object IncidentEvent(Random random, DateTimeOffset at) => new
    {
        eventId = Guid.NewGuid().ToString("N"),
        timestamp = at,
        method = "POST",
        path = "/v1/checkout",
        route = "/v1/checkout",
        statusCode = random.Next(3) == 0 ? 500 : 502,
        latencyMs = Math.Round(900 + random.NextDouble() * 4000, 2),
        requestBytes = random.Next(400, 3000),
        responseBytes = random.Next(100, 400),
        consumerId = "globex-partner",
        environment = "production",
    };

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
