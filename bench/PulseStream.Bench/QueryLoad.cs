using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Azure.Data.Tables;
using Npgsql;
using PulseStream.Metrics;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only query</c>: one tenant holding <c>events</c> (default 10 million) events over 30 days with
/// 200 routes and 1,000 consumers, loaded straight through the consumer's own store and rollup writer (the edge refuses
/// events older than 7 days, so the loader cannot go through it), then the read API measured over HTTP against the
/// real local host while ingest runs at 10,000 events/s for the same tenant. Prints p50/p95/p99 per query beside its
/// goal, and bytes on disk per event for raw events and each rollup tier.
/// </summary>
public static class QueryLoad
{
    private const int Routes = 200, Consumers = 1000, Iterations = 100, WarmUp = 10;
    private static readonly TimeSpan Span = TimeSpan.FromDays(30);
    private static readonly SkewedTraffic Traffic = new(Routes, Consumers, stagingShare: 0);

    public static async Task<int> RunAsync(int events)
    {
        // Retention is off: the loaded month is kept whole (the minute tier keeps 30 days anyway; raw events would go after 14).
        await using var host = await LocalHostProcess.StartAsync("pulse_query_bench", s => s["Retention__Enabled"] = "false");
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(host.Demo.TenantId, TenantLimits.Default with { EventsPerSecond = 100_000_000, Burst = 100_000_000 }, default);
        var tenant = host.Demo.TenantId;

        var load = Stopwatch.StartNew();
        var loaded = await Traffic.LoadHistoryAsync(host, tenant, events, Span, TimeSpan.FromHours(2), seed: 30);
        Console.WriteLine($"  loaded {loaded:N0} events over 30 days in {load.Elapsed.TotalSeconds:N0} s ({loaded / load.Elapsed.TotalSeconds:N0} events/s through the store and rollup writer)");
        await Vacuum(host);

        var rows = new List<string[]>();
        // Sizes first: the ingest below adds events the loaded count does not include.
        foreach (var (what, tables) in new[]
        {
            ("raw events (segments)", new[] { "event_segments" }),
            ("minute tier", RollupSet.All.Select(s => s.Table(RollupTier.Minute)).Append("rollup_totals_10s").ToArray()),
            ("hour tier", RollupSet.All.Select(s => s.Table(RollupTier.Hour)).ToArray()),
            ("day tier", RollupSet.All.Select(s => s.Table(RollupTier.Day)).ToArray()),
        })
        {
            var (bytes, count) = await SizeAsync(host, tables);
            rows.Add([$"size: {what}", $"{(double)bytes / loaded:N1} bytes/event", $"{bytes / 1048576.0:N0} MiB, {count:N0} rows", what.StartsWith("raw", StringComparison.Ordinal) ? "≤ 40 bytes/event" : ""]);
        }

        using var http = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var token = await host.LoginAsync();
        var queries = new (string Name, string Path, double GoalMs)[]
        {
            ("overview, 30 d", "api/v1/dashboard/overview?window=30d", 20),
            ("timeseries, 30 d at 1 h", "api/v1/metrics/timeseries?metric=latency_p95&window=30d&step=1h", 20),
            ("routes, 24 h", "api/v1/routes?window=24h", 20),
            ("consumers, 24 h", "api/v1/consumers?window=24h", 50),
            ("events page, route + 5xx", "api/v1/events?route=/v1/resource-0/{id}&status=5xx&limit=100", 50),
            // Eight windows (now and the same window on each of 7 days before), routes and consumers each: reloaded once a minute.
            ("insights, 1 h", "api/v1/dashboard/insights?window=1h", 250),
            ("insights, 24 h", "api/v1/dashboard/insights?window=24h", 500),
        };
        // Idle first (what the query itself costs), then as the issue measures it: while ingest runs at 10,000 events/s.
        var idle = new Dictionary<string, (double P50, double P95)>();
        if (Environment.GetEnvironmentVariable("PULSE_BENCH_LOG_STATEMENTS") == "1")
        {
            // Where the time goes, per statement: Postgres logs every statement over 5 ms (.pulse/logs/test-postgres.log).
            await using var owner = new NpgsqlConnection(host.ConnectionString);
            await owner.OpenAsync();
            await using var slow = new NpgsqlCommand("ALTER SYSTEM SET log_min_duration_statement = 5; SELECT pg_reload_conf()", owner);
            await slow.ExecuteNonQueryAsync();
        }
        foreach (var (name, path, _) in queries) idle[name] = await MeasureAsync(http, path, token);
        using var stop = new CancellationTokenSource();
        var ingest = Traffic.IngestAsync(http, host.Demo.ApiKey, batchesPerSecond: 10, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(10)); // the consumer at its steady rate before measuring
        foreach (var (name, path, goal) in queries)
        {
            var (p50, p95) = await MeasureAsync(http, path, token);
            rows.Add([name, $"p95 {p95:N1} ms", $"p50 {p50:N1} ms while ingesting; idle p50 {idle[name].P50:N1} ms, p95 {idle[name].P95:N1} ms", $"≤ {goal} ms: {(p95 <= goal ? "met" : "not met")}"]);
            Console.WriteLine($"  {name}: p95 {p95:N1} ms (idle {idle[name].P95:N1} ms)");
        }
        await stop.CancelAsync();
        var sent = await ingest;
        rows.Add(["ingest meanwhile", $"{sent.Rate:N0} events/s accepted", $"{sent.Failures} failed", "10,000 events/s"]);

        ResultsTable.Print($"PulseStream query benchmark — {Environment.ProcessorCount} cores, one tenant with {loaded:N0} events over 30 days, {Routes} routes × 2 methods, {Consumers} consumers; {Iterations} requests per query after {WarmUp} warm-up, one at a time, while ingest runs", rows);
        return 0;
    }

    private static async Task<(double P50, double P95)> MeasureAsync(HttpClient http, string path, string token)
    {
        var latencies = new List<double>();
        for (var i = 0; i < WarmUp + Iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(Authorized(path, token));
            await response.Content.ReadAsByteArrayAsync();
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path}: {(int)response.StatusCode}");
            if (i >= WarmUp) latencies.Add(ms);
        }
        latencies.Sort();
        return (Quantile(latencies, 0.5), Quantile(latencies, 0.95));
    }

    private static HttpRequestMessage Authorized(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static double Quantile(List<double> sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Count - 1))];

    private static async Task Vacuum(LocalHostProcess host)
    {
        // The loaded tables get their statistics and visibility maps, as autovacuum would give them after a while.
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Bytes on disk (tables, indexes, TOAST; partitions included) and rows of the given tables.</summary>
    private static async Task<(long Bytes, long Rows)> SizeAsync(LocalHostProcess host, string[] tables)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        long bytes = 0, rows = 0;
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand("""
                SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint, coalesce(sum(c.reltuples) FILTER (WHERE c.reltuples > 0), 0)::bigint
                FROM pg_class c WHERE c.oid = $1::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)
                """, connection);
            command.Parameters.AddWithValue(table);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            bytes += reader.GetInt64(0);
            rows += reader.GetInt64(1);
        }
        return (bytes, rows);
    }
}
