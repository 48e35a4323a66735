using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Events;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only stored</c>: events stored end to end. 30 tenants send batches of 1,000 over HTTP; the host
/// logs them, the consumer stores raw events and every rollup set and tier; events/s = accepted events ÷ (load time +
/// the time the consumer then needs to have stored them all). The same generated events are then written to InfluxDB
/// 1.6 (Debian's <c>influxd</c>, on this machine, same client shape: line protocol batches of 1,000 over HTTP) as the
/// peer to measure against.
/// </summary>
public static class StoredEndToEnd
{
    private const int Tenants = 30, BatchSize = 1000, Workers = 16, BodiesPerTenant = 8;

    public static async Task<int> RunAsync(TimeSpan duration)
    {
        var rows = new List<string[]>();
        var generated = Enumerable.Range(0, Tenants).Select(t => Enumerable.Range(0, BodiesPerTenant).Select(b => Events(t, b)).ToArray()).ToArray();
        string[] stageLines = [], cpuLines = [], costLines = [];
        double storedRate, copyRate;
        await using (var host = await LocalHostProcess.StartAsync("pulse_stored_bench", s =>
        {
            s["Retention__Enabled"] = "false";
            s["Pulse__PipelineStagesLog"] = "true";
        }))
        {
            var limits = new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System);
            var tenants = new List<(Guid Id, string Key)>();
            for (var t = 0; t < Tenants; t++)
            {
                var tenant = await Provisioning.For(host).CreateTenantAsync($"Stored {t}", $"stored-{t}-{Guid.NewGuid():N}@example.com", "a long password 123", default);
                await limits.SaveAsync(tenant.TenantId, TenantLimits.Default with { EventsPerSecond = 100_000_000, Burst = 100_000_000 }, default);
                tenants.Add((tenant.TenantId, tenant.ApiKey));
            }
            var bodies = tenants.Select((tenant, t) => (tenant.Key, Bodies: generated[t].Select(Json).ToArray())).ToArray();
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers }) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };

            await LoadAsync(TimeSpan.FromSeconds(10), n => Post(http, bodies[n % Tenants].Key, bodies[n % Tenants].Bodies[n / Tenants % BodiesPerTenant]));
            await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromMinutes(10));
            var before = await host.StoredEventCountAsync();
            var stagesBefore = await QuietStagesAsync(host);
            var cpuBefore = await CpuAsync(host);

            var load = Stopwatch.StartNew();
            var (accepted, failed) = await LoadAsync(duration, n => Post(http, bodies[n % Tenants].Key, bodies[n % Tenants].Bodies[n / Tenants % BodiesPerTenant]));
            var loadTime = load.Elapsed;
            await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromMinutes(30));
            var total = load.Elapsed;
            var cpuAfter = await CpuAsync(host);
            var stored = await host.StoredEventCountAsync() - before;
            storedRate = accepted / total.TotalSeconds;
            rows.Add(["PulseStream, stored end to end", $"{storedRate:N0} events/s",
                $"{accepted:N0} accepted ({failed} failed) in {loadTime.TotalSeconds:N1} s at {accepted / loadTime.TotalSeconds:N0} events/s, stored all {total.TotalSeconds - loadTime.TotalSeconds:N1} s later; {stored:N0} stored",
                "goal ≥ 250,000 events/s and ≥ InfluxDB"]);
            var stagesAfter = await QuietStagesAsync(host);
            stageLines = StageTable(stagesBefore, stagesAfter, accepted, total);
            // How many requests of one tenant a consumed batch held on average: the rollup keys per event depend on it.
            double Delta(string stage) => stagesAfter.GetValueOrDefault(stage).Items - stagesBefore.GetValueOrDefault(stage).Items;
            var perTenantBatch = Math.Max(1, (int)Math.Round(Delta("consumer.batch") / BatchSize / Math.Max(1, Delta("consumer.tenant"))));
            costLines = StageCosts.Measure(bodies.Select(b => b.Bodies).ToArray(), perTenantBatch);
            cpuLines = CpuTable(cpuBefore, cpuAfter, total);
            // Whole run, warm-up included: how many rollup row updates stayed on their page and touched no index.
            var updates = await host.ScalarAsync("SELECT coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname LIKE 'rollup\\_%'");
            var hot = await host.ScalarAsync("SELECT coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables WHERE relname LIKE 'rollup\\_%'");
            var inserts = await host.ScalarAsync("SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname LIKE 'rollup\\_%'");
            cpuLines = [.. cpuLines, $"Rollup rows over the whole run (warm-up included): {inserts:N0} inserted, {updates:N0} updated, of which {hot / (double)Math.Max(1, updates):P0} heap-only (HOT, no index touched)"];

            // The row-store limit on the same events: as many as were accepted, in transactions of 10 tenants' batches.
            await using var owner = Npgsql.NpgsqlDataSource.Create(host.ConnectionString);
            await StoreLayouts.CreatePlainTableAsync(owner);
            var transactions = Enumerable.Range(0, (int)(accepted / BatchSize)).Select(n => (Tenant: n % Tenants, Body: n / Tenants % BodiesPerTenant))
                .Chunk(10).Select(chunk => (IReadOnlyList<(Guid, DateTimeOffset, ApiEvent)>)chunk
                    .SelectMany(b => generated[b.Tenant][b.Body].Select(e => (tenants[b.Tenant].Id, e.Ts, ToApiEvent(e)))).ToList())
                .ToList();
            await StoreLayouts.PlainCopyRateAsync(owner, transactions.Take(4).ToList());
            await host.ScalarAsync("TRUNCATE bench_plain_events");
            await host.ScalarAsync("CHECKPOINT");
            copyRate = await StoreLayouts.PlainCopyRateAsync(owner, transactions);
            rows.Add(["plain binary COPY of the same events, one index, no RLS (row-store limit)", $"{copyRate:N0} events/s",
                $"{transactions.Sum(t => t.Count):N0} events, 10 tenants' batches per transaction, 2 writers; stored end to end ÷ COPY = {storedRate / copyRate:N2}",
                "above 1.0: the layout beat rows"]);
        }

        await using (var influx = await InfluxProcess.StartAsync())
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Workers }) { BaseAddress = influx.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
            using (var create = await http.PostAsync("query?q=CREATE%20DATABASE%20bench", null)) create.EnsureSuccessStatusCode();
            var lines = Enumerable.Range(0, Tenants).Select(t => Enumerable.Range(0, BodiesPerTenant).Select(b => LineProtocol(t, Events(t, b))).ToArray()).ToArray();
            await LoadAsync(TimeSpan.FromSeconds(10), n => Write(http, lines[n % Tenants][n / Tenants % BodiesPerTenant]));
            var load = Stopwatch.StartNew();
            var (accepted, failed) = await LoadAsync(duration, n => Write(http, lines[n % Tenants][n / Tenants % BodiesPerTenant]));
            var time = load.Elapsed;
            rows.Add(["InfluxDB 1.6, same events (line protocol, 1,000 points per write)", $"{accepted / time.TotalSeconds:N0} events/s",
                $"{accepted:N0} points written ({failed} failed) in {time.TotalSeconds:N1} s; a write is answered once its points are in the WAL", "the peer"]);
        }

        ResultsTable.Print($"PulseStream stored end to end — {Environment.ProcessorCount} cores, {Tenants} tenants, batches of {BatchSize:N0}, {Workers} client connections, {duration.TotalSeconds:N0} s of load after 10 s of warm-up", rows);
        Console.WriteLine();
        foreach (var line in cpuLines) Console.WriteLine(line);
        Console.WriteLine();
        foreach (var line in stageLines) Console.WriteLine(line);
        Console.WriteLine();
        foreach (var line in costLines) Console.WriteLine(line);
        return 0;
    }

    private static ApiEvent ToApiEvent(Event e) =>
        new(null, e.Ts, e.Method, e.Path, e.Route, e.Status, e.Latency, e.RequestBytes, e.ResponseBytes, e.Consumer, "production", null);

    /// <summary>
    /// The host's cumulative stage totals (<c>Pulse:PipelineStagesLog</c>) at a quiet moment: after two of its log
    /// intervals with nothing consumed, its last line holds everything so far.
    /// </summary>
    private static async Task<Dictionary<string, (double Seconds, long Items)>> QuietStagesAsync(LocalHostProcess host)
    {
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var line = host.Output.Split('\n').LastOrDefault(l => l.Contains("Pipeline stages: ", StringComparison.Ordinal)) ?? "";
        var totals = new Dictionary<string, (double, long)>(StringComparer.Ordinal);
        foreach (var part in line[(line.IndexOf("Pipeline stages: ", StringComparison.Ordinal) + 17)..].Split("; ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = (part[..part.IndexOf('=')], part[(part.IndexOf('=') + 1)..]);
            var slash = value.IndexOf("s/", StringComparison.Ordinal);
            if (slash < 0) continue;
            totals[name] = (double.Parse(value[..slash], CultureInfo.InvariantCulture), long.Parse(value[(slash + 2)..], CultureInfo.InvariantCulture));
        }
        return totals;
    }

    private static string[] StageTable(Dictionary<string, (double Seconds, long Items)> before, Dictionary<string, (double Seconds, long Items)> after, long accepted, TimeSpan window)
    {
        var lines = new List<string>
        {
            $"Where the time goes: wall-clock time per stage over the measured window ({window.TotalSeconds:N1} s of load and drain), summed over concurrent requests (16 connections) and partition readers (4), from the host's {Hosting.PipelineStages.MeterName} meter",
            "",
            "| stage | seconds | items | µs per stored event | × window |",
            "|---|---:|---:|---:|---:|",
        };
        foreach (var (stage, (seconds, items)) in after.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var (s0, i0) = before.GetValueOrDefault(stage);
            var (ds, di) = (seconds - s0, items - i0);
            if (di == 0 && ds < 0.0005) continue;
            lines.Add($"| {stage} | {ds:N2} | {di:N0} | {ds * 1e6 / accepted:N2} | {ds / window.TotalSeconds:N2} |");
        }
        return [.. lines];
    }

    private static async Task<(double Host, double Postgres, double Busy, double Total)> CpuAsync(LocalHostProcess host)
    {
        var checkpointer = await host.ScalarAsync("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
        var (busy, total) = ProcessCpu.Machine();
        return (ProcessCpu.Seconds(host.ProcessId ?? 0), ProcessCpu.ClusterSeconds(ProcessCpu.Parent((int)checkpointer)), busy, total);
    }

    private static string[] CpuTable((double Host, double Postgres, double Busy, double Total) before, (double Host, double Postgres, double Busy, double Total) after, TimeSpan window)
    {
        var cores = (after.Total - before.Total) / window.TotalSeconds;
        var host = after.Host - before.Host;
        var postgres = after.Postgres - before.Postgres;
        var busy = after.Busy - before.Busy;
        return [
            $"CPU over the measured window ({window.TotalSeconds:N1} s × {cores:N1} cores = {after.Total - before.Total:N1} CPU-s): local host {host:N1} CPU-s ({host / window.TotalSeconds:N2} cores), " +
            $"PostgreSQL {postgres:N1} CPU-s ({postgres / window.TotalSeconds:N2} cores), everything else on the machine (the bench client, other users) {busy - host - postgres:N1} CPU-s; " +
            $"machine busy {busy / (after.Total - before.Total):P0}",
        ];
    }

    /// <summary>Workers send requests one after another for <paramref name="duration"/>; returns events accepted and requests failed.</summary>
    private static async Task<(long Accepted, long Failed)> LoadAsync(TimeSpan duration, Func<int, Task<bool>> send)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long accepted = 0, failed = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                if (await send(Interlocked.Increment(ref next))) Interlocked.Add(ref accepted, BatchSize);
                else Interlocked.Increment(ref failed);
            }
        }));
        return (accepted, failed);
    }

    private static async Task<bool> Post(HttpClient http, string apiKey, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Api-Key", apiKey);
        using var response = await http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.Accepted;
    }

    private static async Task<bool> Write(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        using var response = await http.PostAsync("write?db=bench&precision=u", content);
        return response.StatusCode == HttpStatusCode.NoContent;
    }

    private sealed record Event(DateTimeOffset Ts, string Method, string Path, string Route, int Status, double Latency, int RequestBytes, int ResponseBytes, string Consumer);

    /// <summary>A tenant's batch: 200 routes and 1,000 consumers, Zipf-like; 2% 5xx, 5% 4xx; log-normal latencies.</summary>
    private static Event[] Events(int tenant, int batch)
    {
        var random = new Random(tenant * 1000 + batch);
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, BatchSize).Select(i =>
        {
            var route = (int)(200 * Math.Pow(random.NextDouble(), 2.5));
            var roll = random.Next(1000);
            return new Event(now.AddMilliseconds(-random.Next(0, 1000)), random.Next(5) == 0 ? "POST" : "GET", $"/v1/resource-{route}/{random.Next(100_000)}",
                $"/v1/resource-{route}/{{id}}", roll < 20 ? 503 : roll < 70 ? 404 : 200,
                Math.Round(Math.Exp(3 + 0.8 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())), 3),
                random.Next(0, 2000), random.Next(200, 20_000), $"customer-{(int)(1000 * Math.Pow(random.NextDouble(), 2))}");
        }).ToArray();
    }

    private static byte[] Json(Event[] events) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        events = events.Select(e => new
        {
            timestamp = e.Ts.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture), method = e.Method, path = e.Path, route = e.Route,
            statusCode = e.Status, latencyMs = e.Latency, requestBytes = e.RequestBytes, responseBytes = e.ResponseBytes, consumerId = e.Consumer,
        }),
    });

    /// <summary>
    /// The same events as InfluxDB points, in the schema its documentation advises: low-cardinality dimensions as tags
    /// (tenant, route, method, status class, environment), the consumer (1,000 per tenant), the path and the measures
    /// as fields, so the peer is measured at its best rather than with 36 million series.
    /// </summary>
    private static byte[] LineProtocol(int tenant, Event[] events)
    {
        var text = new StringBuilder();
        foreach (var e in events)
        {
            text.Append(CultureInfo.InvariantCulture, $"requests,tenant=t{tenant},route={e.Route},method={e.Method},status_class={e.Status / 100}xx,environment=production ");
            text.Append(CultureInfo.InvariantCulture, $"status={e.Status}i,latency_ms={e.Latency},request_bytes={e.RequestBytes}i,response_bytes={e.ResponseBytes}i,consumer=\"{e.Consumer}\",path=\"{e.Path}\" ");
            text.Append(e.Ts.ToUnixTimeMilliseconds() * 1000).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>A throwaway <c>influxd</c> (installed by <c>./pulse bench</c>) with its data in a temporary directory.</summary>
    private sealed class InfluxProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _dir;
        public Uri BaseUrl { get; }

        private InfluxProcess(Process process, string dir, Uri baseUrl) => (_process, _dir, BaseUrl) = (process, dir, baseUrl);

        public static async Task<InfluxProcess> StartAsync()
        {
            var dir = Directory.CreateTempSubdirectory("pulse-influx-").FullName;
            var port = TestEnvironment.FreePort();
            var config = Path.Combine(dir, "influxdb.conf");
            await File.WriteAllTextAsync(config, $"""
                reporting-disabled = true
                bind-address = "127.0.0.1:{TestEnvironment.FreePort()}"
                [meta]
                  dir = "{dir}/meta"
                [data]
                  dir = "{dir}/data"
                  wal-dir = "{dir}/wal"
                  query-log-enabled = false
                [http]
                  bind-address = "127.0.0.1:{port}"
                  log-enabled = false
                  max-body-size = 0
                [monitor]
                  store-enabled = false
                """);
            var process = Process.Start(new ProcessStartInfo("influxd", ["-config", config]) { RedirectStandardOutput = true, RedirectStandardError = true })
                ?? throw new InvalidOperationException("influxd did not start (./pulse bench installs Debian's influxdb).");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var influx = new InfluxProcess(process, dir, new Uri($"http://127.0.0.1:{port}/"));
            using var probe = new HttpClient { BaseAddress = influx.BaseUrl };
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    using var ping = await probe.GetAsync("ping");
                    if (ping.StatusCode == HttpStatusCode.NoContent) return influx;
                }
                catch (HttpRequestException) { }
                await Task.Delay(200);
            }
            await influx.DisposeAsync();
            throw new InvalidOperationException("influxd did not answer /ping within 20 s.");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
