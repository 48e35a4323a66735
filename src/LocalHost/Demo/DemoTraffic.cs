using System.Net.Http.Json;

namespace PulseStream.LocalHost.Demo;

/// <summary>
/// Synthetic traffic for the demo tenant (<c>./pulse up --demo-traffic</c>), sent through the real ingest route with
/// the demo API key: several routes and consumers in two environments, a rate that drifts over minutes, log-normal
/// latencies, and an error burst 20 seconds after start and then every few minutes, which fires the demo rule. Beside
/// it, <see cref="DemoHistory"/> fills the last 24 hours the demo has not covered yet, so longer windows show traffic.
/// </summary>
public sealed class DemoTraffic(DemoSeeder seeder, LocalHostPaths paths, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<DemoTraffic> logger) : BackgroundService
{
    private static readonly (string Method, string Route, Func<Random, string> Path, int Weight, double LatencyMedian)[] Routes =
    [
        ("GET", "/v1/products", _ => "/v1/products", 30, 35),
        ("GET", "/v1/products/{id}", r => $"/v1/products/{r.Next(1, 5000)}", 25, 20),
        ("POST", "/v1/cart/items", _ => "/v1/cart/items", 12, 45),
        ("POST", "/v1/checkout", _ => "/v1/checkout", 6, 180),
        ("GET", "/v1/orders/{id}", r => $"/v1/orders/{Guid.NewGuid()}", 10, 60),
        ("GET", "/v1/search", _ => "/v1/search", 14, 120),
        ("DELETE", "/v1/cart/items/{id}", r => $"/v1/cart/items/{r.Next(1, 900)}", 3, 30),
    ];
    private static readonly string[] Consumers = ["acme-web", "acme-ios", "globex-partner", "initech-batch", "umbrella-android", "hooli-api"];
    /// <summary>Per mille of the traffic sent to the staging environment rather than production.</summary>
    private const int StagingPerMille = 120;
    private static readonly TimeSpan FirstBurst = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan BurstEvery = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan BurstLength = TimeSpan.FromSeconds(90);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await WaitForStartAsync(stoppingToken);
        if (seeder.Demo is not { } demo) return;
        using var http = new HttpClient { BaseAddress = paths.BaseUrl };
        http.DefaultRequestHeaders.Add("X-Api-Key", demo.ApiKey);
        var random = new Random();
        var started = time.GetUtcNow();
        var history = new DemoHistory(paths, time, logger);
        var backfill = history.FillAsync(http, started, (r, at) => Event(r, at, inBurst: false), stoppingToken);
        logger.LogInformation("Demo traffic started: an error burst begins in {Seconds} s and repeats every {Minutes} min",
            FirstBurst.TotalSeconds, BurstEvery.TotalMinutes);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            var elapsed = now - started;
            var inBurst = elapsed >= FirstBurst && (elapsed - FirstBurst).Ticks % BurstEvery.Ticks < BurstLength.Ticks;
            // 10-40 requests per second, drifting over a ten-minute cycle.
            var rate = 25 + 15 * Math.Sin(elapsed.TotalMinutes / 10 * 2 * Math.PI) + random.Next(-3, 4);
            var events = Enumerable.Range(0, Math.Max(1, (int)rate)).Select(_ => Event(random, now.AddMilliseconds(-random.Next(0, 1000)), inBurst)).ToList();
            try
            {
                using var response = await http.PostAsJsonAsync("api/v1/events/batch", new { events }, stoppingToken);
                if (!response.IsSuccessStatusCode) logger.LogWarning("Demo traffic batch answered {Status}", (int)response.StatusCode);
            }
            catch (HttpRequestException e)
            {
                logger.LogWarning("Demo traffic batch failed: {Error}", e.Message);
            }
            // Only once the past is filled: a stop before that leaves the gap to fill at the next start.
            if (backfill.IsCompletedSuccessfully) history.Covered(now);
        }
        await backfill;
    }

    private async Task WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(ct);
    }

    private static object Event(Random random, DateTimeOffset at, bool inBurst)
    {
        var total = Routes.Sum(r => r.Weight);
        var pick = random.Next(total);
        var route = Routes.First(r => (pick -= r.Weight) < 0);
        var status = random.NextDouble() switch
        {
            var x when inBurst && x < 0.30 => 503,
            var x when x < 0.005 => 500,
            var x when x < 0.04 => 404,
            var x when x < 0.06 => 400,
            var x when x < 0.07 => 401,
            _ => route.Method == "POST" ? 201 : route.Method == "DELETE" ? 204 : 200,
        };
        // Log-normal around the route's median; slower during a burst.
        var latency = route.LatencyMedian * Math.Exp(0.6 * Gaussian(random)) * (inBurst ? 3 : 1);
        return new
        {
            eventId = Guid.NewGuid().ToString("N"),
            timestamp = at,
            method = route.Method,
            path = route.Path(random),
            route = route.Route,
            statusCode = status,
            latencyMs = Math.Round(latency, 2),
            requestBytes = route.Method is "POST" ? random.Next(200, 4000) : 0,
            responseBytes = random.Next(300, 20_000),
            consumerId = Consumers[random.Next(Consumers.Length)],
            environment = random.Next(1000) < StagingPerMille ? "staging" : "production",
        };
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
