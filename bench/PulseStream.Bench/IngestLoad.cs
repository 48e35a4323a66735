using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// Load against a real local host (Release build, its own database): batched ingest throughput, single-event latency
/// at a fixed arrival rate, and the same batched load against a bare endpoint that only reads and discards the body,
/// which is the machine's HTTP ceiling for these bodies. Client and server share the machine's cores.
/// </summary>
public static class IngestLoad
{
    private const int Workers = 16;

    public static async Task<int> RunAsync(TimeSpan duration, TimeSpan warmup, string? only = null)
    {
        // A p99 is the 1% tail: single-event loads run three times as long as the others so that it rests on 300
        // requests, not 100.
        var singleDuration = duration * 3;
        await using var host = await LocalHostProcess.StartAsync("pulse_bench");
        await LiftRateLimitAsync(host);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var rows = new List<string[]>();
        void Report(string[] row)
        {
            rows.Add(row);
            Console.WriteLine($"  {row[0]}: {row[1]}; {row[2]}"); // progress while the next run starts
        }

        // The single-event load runs first, on a fresh database: after the batched loads Postgres spends minutes
        // checkpointing and vacuuming gigabytes (measured: p99 90 ms instead of 15 ms when it ran second, although the
        // consumer had caught up), which would measure that background work rather than the ingest path.
        if (only is null or "single")
        {
            // The open-loop client has its own uncapped connection pool (requests never queue in the client), kept
            // from warm-up to measurement. Steady state, not start-up: during its first 20-30 s under load the host's JIT
            // compiles and recompiles hot code (measured: about 21,000 methods and 10 s of compilation on these two
            // cores), which the warm-up absorbs.
            using var openLoop = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
            { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            var one = Body(1, batch: false);
            await FixedRate(openLoop, "api/v1/events", host.Demo.ApiKey, one, 1000, warmup);
            var single = await FixedRate(openLoop, "api/v1/events", host.Demo.ApiKey, one, 1000, singleDuration);
            await FixedRate(openLoop, "local/discard", host.Demo.ApiKey, one, 1000, TimeSpan.FromSeconds(5));
            var bare = await FixedRate(openLoop, "local/discard", host.Demo.ApiKey, one, 1000, singleDuration);
            Report(["single events at 1,000 req/s", $"{single.Requests / singleDuration.TotalSeconds:N0} req/s sent, {single.Failures} failed",
                $"p50 {single.P50:N2} ms, p99 {single.P99:N2} ms, max {single.Max:N1} ms",
                $"bare endpoint at 1,000 req/s: p50 {bare.P50:N2} ms, p99 {bare.P99:N2} ms, max {bare.Max:N1} ms; client sent p99 {Math.Max(single.SendLateP99, bare.SendLateP99):N2} ms late"]);
            Report(await DrainAsync(host, "single-event"));
        }

        // Plain JSON, and gzip as batching SDKs send it (a tenth of the bytes to receive, for the cost of inflating).
        foreach (var (size, gzip) in only is null or "batched" ? new[] { (100, false), (1000, false), (1000, true) } : [])
        {
            var body = gzip ? Gzip(Body(size)) : Body(size);
            var label = $"batched ingest, {size:N0} events/request{(gzip ? ", gzip" : "")}";
            await Throughput(http, "api/v1/events/batch", host.Demo.ApiKey, body, warmup, gzip);
            var ingest = await Throughput(http, "api/v1/events/batch", host.Demo.ApiKey, body, duration, gzip);
            var bare = await Throughput(http, "local/discard", host.Demo.ApiKey, body, duration, gzip);
            Report([label, $"{ingest.Requests * size / duration.TotalSeconds:N0} events/s",
                $"{ingest.Requests / duration.TotalSeconds:N0} req/s; p50 {ingest.P50:N1} ms, p99 {ingest.P99:N1} ms; {ingest.Failures} failed; {body.Length / 1024.0:N0} KB/request",
                $"bare endpoint: {bare.Requests / duration.TotalSeconds:N0} req/s ({bare.Requests * size / duration.TotalSeconds:N0} events/s); ingest = {(double)ingest.Requests / Math.Max(1, bare.Requests):P0}"]);
        }

        if (only is null or "batched") Report(await DrainAsync(host, "batched"));

        if (only is null or "batched" or "edge")
        {
            // The ingest edge on its own, as in Azure where it runs on instances of its own: a second host with its
            // own database and no consumers, so ingest does not share the two cores with storing what it accepts.
            await using var edge = await LocalHostProcess.StartAsync("pulse_bench_edge", settings => settings["Pulse__Consumers"] = "false");
            await LiftRateLimitAsync(edge);
            using var edgeHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers }) { BaseAddress = edge.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            foreach (var size in new[] { 100, 1000 })
            {
                var body = Body(size);
                await Throughput(edgeHttp, "api/v1/events/batch", edge.Demo.ApiKey, body, warmup);
                var alone = await Throughput(edgeHttp, "api/v1/events/batch", edge.Demo.ApiKey, body, duration);
                var logged = await edge.ScalarAsync("SELECT count(*) FROM event_log_messages");
                Report([$"ingest alone (consumers off), {size:N0} events/request", $"{alone.Requests * size / duration.TotalSeconds:N0} events/s",
                    $"{alone.Requests / duration.TotalSeconds:N0} req/s; p50 {alone.P50:N1} ms, p99 {alone.P99:N1} ms; {alone.Failures} failed",
                    $"{logged:N0} messages in the log so far (warm-ups included)"]);
            }
            using var edgeOpenLoop = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
            { BaseAddress = edge.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            await FixedRate(edgeOpenLoop, "api/v1/events", edge.Demo.ApiKey, Body(1, batch: false), 1000, warmup);
            var single = await FixedRate(edgeOpenLoop, "api/v1/events", edge.Demo.ApiKey, Body(1, batch: false), 1000, singleDuration);
            Report(["ingest alone (consumers off), single events at 1,000 req/s", $"{single.Requests / singleDuration.TotalSeconds:N0} req/s sent, {single.Failures} failed",
                $"p50 {single.P50:N2} ms, p99 {single.P99:N2} ms, max {single.Max:N1} ms", ""]);
        }

        if (only is null or "noisy") Report(await NoisyNeighbourAsync(duration));

        ResultsTable.Print($"PulseStream ingest benchmark — {Environment.ProcessorCount} cores, {duration.TotalSeconds:N0} s per run ({singleDuration.TotalSeconds:N0} s for single events) after {warmup.TotalSeconds:N0} s of warm-up, {Workers} client connections", rows, "comparison");
        return 0;
    }

    /// <summary>
    /// The issue's noisy neighbour (NoisyTenantTests measures the same): on a host with one partition, tenant A has a
    /// rule grouped by consumer over 20,000 consumers and keeps it due (200 events a second); tenant B sends a small batch every
    /// 500 ms and polls the events API every 50 ms for each. B's accepted → queryable lag, first without A's traffic.
    /// </summary>
    private static async Task<string[]> NoisyNeighbourAsync(TimeSpan duration)
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_bench_noisy", settings => settings["Pulse__Partitions"] = "1");
        var noisy = await NoisyTenantScenario.CreateTenantAsync(host, "Noisy");
        var quiet = await NoisyTenantScenario.CreateTenantAsync(host, "Quiet");
        await NoisyTenantScenario.CreateRuleAsync(host, noisy, NoisyTenantScenario.PerConsumerRule());
        await NoisyTenantScenario.SendDistinctConsumersAsync(host, noisy, 20_000);
        await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromMinutes(5));

        var batches = (int)(duration.TotalSeconds * 2);
        var poll = TimeSpan.FromMilliseconds(50);
        var alone = await NoisyTenantScenario.MeasureStoreLagAsync(host, quiet, batches, TimeSpan.FromMilliseconds(500), poll, TimeSpan.FromSeconds(60));
        using var stop = new CancellationTokenSource();
        var noise = NoisyTenantScenario.KeepRuleDueAsync(host, noisy, 20_000, stop.Token);
        var beside = await NoisyTenantScenario.MeasureStoreLagAsync(host, quiet, batches, TimeSpan.FromMilliseconds(500), poll, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await noise;
        string Figures(double[] lags) => string.Create(CultureInfo.InvariantCulture,
            $"p50 {NoisyTenantScenario.Quantile(lags, 0.5):N2} s, p99 {NoisyTenantScenario.Quantile(lags, 0.99):N2} s");
        return ["another tenant's store lag beside a 20,000-group rule (one partition)", Figures(beside),
            $"{batches} batches at 2/s, polled every 50 ms, while the noisy tenant's rule is evaluated about every second", $"without the noisy tenant's traffic (rule idle): {Figures(alone)}"];
    }

    /// <summary>
    /// Everything accepted is stored: waits until the Alerts consumer has caught up and reports how long that took after
    /// the last request. Each load starts with the consumer caught up, so one run's backlog does not load the next.
    /// </summary>
    private static async Task<string[]> DrainAsync(LocalHostProcess host, string load)
    {
        var drain = Stopwatch.StartNew();
        await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromMinutes(10));
        var stored = await host.StoredEventCountAsync();
        return [$"consumer drain after the {load} load", $"{stored:N0} events stored in all", $"caught up {drain.Elapsed.TotalSeconds:N1} s after the last request", ""];
    }

    /// <summary>The benchmark measures the machine, not the rate limiter: lifts the demo tenant's limits.</summary>
    private static Task LiftRateLimitAsync(LocalHostProcess host) =>
        new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(host.Demo.TenantId, TenantLimits.Default with { EventsPerSecond = 100_000_000, Burst = 100_000_000 }, default);

    private static byte[] Body(int events, bool batch = true)
    {
        var now = DateTimeOffset.UtcNow;
        var items = Enumerable.Range(0, events).Select(i => new
        {
            timestamp = now.ToString("O", CultureInfo.InvariantCulture), method = i % 5 == 0 ? "POST" : "GET", path = $"/v1/orders/{i}",
            route = "/v1/orders/{id}", statusCode = i % 50 == 0 ? 503 : 200, latencyMs = 5 + i % 200, responseBytes = 1500, consumerId = $"c{i % 20}",
        }).ToArray();
        return batch ? JsonSerializer.SerializeToUtf8Bytes(new { events = items }) : JsonSerializer.SerializeToUtf8Bytes(items[0]);
    }

    /// <param name="SendLateP99">Open loop only: how late the client itself sent (p99), already included in the latencies.</param>
    private sealed record Result(long Requests, long Failures, double P50, double P99, double Max, double SendLateP99 = 0);

    private static byte[] Gzip(byte[] body)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest)) gzip.Write(body);
        return compressed.ToArray();
    }

    private static HttpRequestMessage Request(string path, string apiKey, byte[] body, bool gzip = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (gzip) request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add("X-Api-Key", apiKey);
        return request;
    }

    private static async Task<Result> Throughput(HttpClient http, string path, string apiKey, byte[] body, TimeSpan duration, bool gzip = false)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>[Workers];
        var failures = 0L;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async w =>
        {
            latencies[w] = [];
            while (Stopwatch.GetTimestamp() < until)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(Request(path, apiKey, body, gzip));
                if (response.StatusCode != HttpStatusCode.Accepted) Interlocked.Increment(ref failures);
                latencies[w].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        return Summarize(latencies.SelectMany(l => l).ToList(), failures);
    }

    /// <summary>
    /// Open loop: requests leave on a fixed schedule whatever the answers do, so slow answers show in latency. Latency is
    /// measured from the scheduled send time (no coordinated omission: a late send counts against the result), and the
    /// client has its own uncapped connection pool so requests never queue in the client. A dedicated thread sleeps
    /// until each send is due (<see cref="PreciseClock"/>) rather than spinning, so it does not take a core from the
    /// server it measures, and sends from there (up to the first wait for the socket) with no thread-pool hop.
    /// </summary>
    private static async Task<Result> FixedRate(HttpClient http, string path, string apiKey, byte[] body, int perSecond, TimeSpan duration)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var latencies = new double[total];
        var lateness = new double[total];
        var failures = 0L;
        var tasks = new Task[total];
        var startUnixMs = 0L;
        var schedule = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp();
            startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * (double)Stopwatch.Frequency / perSecond);
                PreciseClock.SleepUntil(due);
                lateness[i] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
                tasks[i] = Send(i, due);
            }
        }) { IsBackground = true, Name = "open-loop schedule" };
        schedule.Start();
        await Task.Run(schedule.Join);
        await Task.WhenAll(tasks);

        async Task Send(int index, long due)
        {
            using var response = await http.SendAsync(Request(path, apiKey, body));
            if (response.StatusCode != HttpStatusCode.Accepted) Interlocked.Increment(ref failures);
            latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
        }
        if (Environment.GetEnvironmentVariable("PULSE_BENCH_DUMP") is { } dump) File.WriteAllLines(dump + path.Replace('/', '_'), latencies.Select((l, i) => string.Create(CultureInfo.InvariantCulture, $"{startUnixMs + i * 1000L / perSecond} {l:F2} {lateness[i]:F2}")));
        return Summarize([.. latencies], failures) with { SendLateP99 = Summarize([.. lateness], 0).P99 };
    }

    private static Result Summarize(List<double> latencies, long failures)
    {
        latencies.Sort();
        double At(double q) => latencies.Count == 0 ? 0 : latencies[(int)Math.Floor(q * (latencies.Count - 1))];
        return new Result(latencies.Count, failures, At(0.5), At(0.99), latencies.Count == 0 ? 0 : latencies[^1]);
    }
}
