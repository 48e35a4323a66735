using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using PulseStream.Events;
using PulseStream.Events.Segments;
using PulseStream.Metrics;
using PulseStream.Storage;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// The traffic of the query and rule benchmarks: one tenant's API as it is usually shaped (a few routes and consumers
/// take most requests, 2% 5xx and 5% 4xx, log-normal latencies), as history loaded straight into the store and as live
/// batches over HTTP.
/// </summary>
public sealed class SkewedTraffic(int routes, int consumers, double stagingShare)
{
    public int Routes => routes;
    public int Consumers => consumers;

    /// <summary>One event at <paramref name="ts"/>; <c>stagingShare</c> of them in the <c>staging</c> environment.</summary>
    public ApiEvent Generate(Random random, DateTimeOffset ts)
    {
        var route = (int)(routes * Math.Pow(random.NextDouble(), 2.5));
        var consumer = (int)(consumers * Math.Pow(random.NextDouble(), 2));
        var roll = random.Next(1000);
        var status = roll < 20 ? 503 : roll < 70 ? 404 : roll < 90 ? 302 : 200;
        var latency = Math.Round(Math.Exp(3 + 0.8 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())), 2);
        var environment = stagingShare > 0 && random.NextDouble() < stagingShare ? "staging" : "production";
        return new ApiEvent(null, ts, random.Next(5) == 0 ? "POST" : "GET", $"/v1/resource-{route}/{random.Next(100_000)}", $"/v1/resource-{route}/{{id}}",
            status, latency, random.Next(0, 2000), random.Next(200, 20_000), $"customer-{consumer}", environment, null);
    }

    /// <summary>
    /// <paramref name="events"/> events over the <paramref name="span"/> up to now, in time order, one
    /// <paramref name="slice"/> per transaction, written as the consumer writes them: through its own store and rollup
    /// writer as the app role under row-level security (the edge refuses events older than 7 days, so a month cannot
    /// go through it).
    /// </summary>
    public async Task<long> LoadHistoryAsync(LocalHostProcess host, Guid tenant, int events, TimeSpan span, TimeSpan slice, int seed)
    {
        await using var app = NpgsqlDataSource.Create(host.AppConnectionString);
        var database = new Database(app);
        var store = new SegmentEventStore(database);
        var random = new Random(seed);
        var slices = (int)(span / slice);
        var start = DateTimeOffset.UtcNow - span;
        var perSlice = events / slices;
        var progressEvery = Math.Max(1, slices / 10);
        long loaded = 0;
        for (var s = 0; s < slices; s++)
        {
            var from = start + slice * s;
            var batch = new List<(Guid, DateTimeOffset, ApiEvent)>(perSlice);
            for (var i = 0; i < perSlice; i++)
            {
                var at = from + slice * random.NextDouble();
                batch.Add((tenant, at, Generate(random, at)));
            }
            await database.ForTenantAsync(tenant, async (connection, transaction) =>
            {
                await CardinalityBound.Routes.OverLimitAsync(connection, transaction, tenant, batch.Select(b => b.Item3.Route).ToList(), TenantLimits.Default.MaxRoutes, default);
                await CardinalityBound.Consumers.OverLimitAsync(connection, transaction, tenant, batch.Select(b => b.Item3.ConsumerId!).ToList(), TenantLimits.Default.MaxConsumers, default);
                await store.AppendAsync(connection, transaction, batch, default);
                await RollupWriter.ApplyAsync(connection, transaction, tenant, RollupWriter.Aggregate(batch.Select(b => b.Item3)), default);
            }, default);
            loaded += batch.Count;
            if (s % progressEvery == progressEvery - 1) Console.WriteLine($"  loading: {loaded:N0} of {events:N0}");
        }
        return loaded;
    }

    /// <summary>
    /// Batches of 1,000 events stamped now, <paramref name="batchesPerSecond"/> a second until <paramref name="stop"/>,
    /// each sent on its own schedule so that a slow answer does not lower the rate; returns events/s accepted and
    /// requests failed.
    /// </summary>
    public async Task<(double Rate, long Failures)> IngestAsync(HttpClient http, string apiKey, int batchesPerSecond, CancellationToken stop)
    {
        var sent = 0L;
        var failures = 0L;
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>();
        var random = new Random(7);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var due = TimeSpan.FromSeconds((double)n / batchesPerSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try { await Task.Delay(due, stop); }
                catch (OperationCanceledException) { break; }
            }
            var now = DateTimeOffset.UtcNow;
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                events = Enumerable.Range(0, 1000).Select(_ => Generate(random, now)).Select(e => new
                {
                    timestamp = e.Timestamp, method = e.Method, path = e.Path, route = e.Route, statusCode = e.StatusCode, latencyMs = e.LatencyMs,
                    requestBytes = e.RequestBytes, responseBytes = e.ResponseBytes, consumerId = e.ConsumerId, environment = e.Environment,
                }),
            });
            pending.Add(Task.Run(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("X-Api-Key", apiKey);
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Add(ref sent, 1000);
                else Interlocked.Increment(ref failures);
            }, CancellationToken.None)); // a request already scheduled is sent, and counted, even as the run stops
        }
        await Task.WhenAll(pending);
        return (sent / clock.Elapsed.TotalSeconds, failures);
    }
}
