using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only live</c>: event → browser latency. One tenant posts at 1,000 and then 20,000 events/s
/// (batches of 100 and 1,000, paced per 50 ms) while a real SignalR client, connected through negotiate as a browser
/// is, receives its <c>events</c> messages. Every event's id names its batch, whose send time is noted just before the
/// POST; the latency of an event is its receipt time minus that. Above what the live feed carries (200 events per
/// 250 ms) most events are never shown, by design: the figure is for those that are. Goal: p95 ≤ 1 s at both rates.
/// </summary>
public static class LiveLatencyLoad
{
    private static readonly int[] Rates = [1_000, 20_000];

    public static async Task<int> RunAsync(TimeSpan duration)
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_live_bench", s => s["Retention__Enabled"] = "false");
        var tenant = host.Demo.TenantId;
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant, TenantLimits.Default with { EventsPerSecond = 100_000, Burst = 200_000 }, default);
        var (url, accessToken) = await host.NegotiateAsync(await host.LoginAsync());
        var connection = new HubConnectionBuilder().WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken)).Build();
        await using var _ = connection;
        var sent = new ConcurrentDictionary<string, long>();
        var latencies = new ConcurrentBag<double>();
        var messages = 0;
        connection.On<JsonElement>("events", batch =>
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref messages);
            foreach (var e in batch.EnumerateArray())
                if (e.GetProperty("eventId").GetString() is { } id && id.Split('-') is [var run, var b, _] && sent.TryGetValue($"{run}-{b}", out var at))
                    latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalMilliseconds);
        });
        await connection.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        var rows = new List<string[]>();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        foreach (var rate in Rates)
        {
            latencies.Clear();
            Interlocked.Exchange(ref messages, 0);
            var (posted, failed) = await PostAsync(http, host, sent, rate, duration);
            await Task.Delay(TimeSpan.FromSeconds(3)); // the last messages arrive
            var sorted = latencies.Order().ToArray();
            rows.Add(sorted.Length == 0
                ? [$"{rate:N0} events/s posted", "nothing received", $"{posted:N0} posted, {failed} failed", "p95 ≤ 1 s: not met"]
                : [$"{rate:N0} events/s posted → browser", $"p95 {Quantile(sorted, 0.95):N0} ms",
                    $"p50 {Quantile(sorted, 0.50):N0} ms, p99 {Quantile(sorted, 0.99):N0} ms, max {sorted[^1]:N0} ms; {sorted.Length:N0} of {posted:N0} events shown in {messages:N0} messages ({messages / duration.TotalSeconds:N1}/s){(failed > 0 ? $", {failed} posts failed" : "")}",
                    $"p95 ≤ 1 s: {(Quantile(sorted, 0.95) <= 1000 ? "met" : "not met")}"]);
        }
        ResultsTable.Print($"PulseStream live-latency benchmark — {Environment.ProcessorCount} cores, one tenant, one SignalR client through negotiate and the local SignalR Service surface, {duration.TotalSeconds:N0} s per rate", rows);
        return 0;
    }

    private static double Quantile(double[] sorted, double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Posts <paramref name="rate"/> events/s for <paramref name="duration"/>, a batch every 50 ms per sender.</summary>
    private static async Task<(long Posted, int Failed)> PostAsync(HttpClient http, LocalHostProcess host, ConcurrentDictionary<string, long> sent, int rate, TimeSpan duration)
    {
        var run = $"r{rate}";
        var batchSize = rate >= 10_000 ? 1000 : 100;
        var batchesPerSecond = rate / batchSize;
        var senders = Math.Max(1, batchesPerSecond / 20);
        var interval = TimeSpan.FromSeconds(senders / (double)batchesPerSecond);
        long posted = 0;
        var failed = 0;
        var started = Stopwatch.GetTimestamp();
        var batch = 0;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async sender =>
        {
            var next = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * sender / senders);
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                var b = Interlocked.Increment(ref batch);
                var key = $"{run}-{b}";
                var events = Enumerable.Range(0, batchSize).Select(i => Payloads.Event("/v1/live-bench/{id}", 200, 10 + i % 50, eventId: $"{key}-{i}"));
                using var request = host.Ingest("api/v1/events/batch", Payloads.Batch(events));
                sent[key] = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Add(ref posted, batchSize);
                else Interlocked.Increment(ref failed);
            }
        }));
        return (posted, failed);
    }
}
