using System.Diagnostics;
using Azure.Data.Tables;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Events.Segments;
using PulseStream.Metrics;
using PulseStream.Storage;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only rules</c>: one tenant with 200 routes × 2 methods, 1,000 consumers and two environments,
/// holding <c>events</c> (default 1 million) events over the last 6 hours (loaded through the consumer's own store and
/// rollup writer), and 1,000 enabled rules of mixed metrics, windows, filters, <c>groupBy</c>, <c>minRequests</c> and
/// <c>for</c>. While 1,000 events/s arrive over HTTP (which keeps the tenant due, as traffic does), the host's own
/// <c>EvaluateDueRules</c> timer evaluates the tenant again and again; each evaluation's wall time is what the host
/// records in <c>rule_evaluation_schedule.last_duration_ms</c> (claim to outcome, all of the tenant's enabled rules).
/// Prints p50/p95 beside the goal (≤ 1 s), then a profile taken in this process with the traffic stopped and the
/// host's evaluation held off: the metric reads alone, per kind of read, against the whole.
/// </summary>
public static class RuleEvaluationLoad
{
    private const int Routes = 200, Consumers = 1000, Rules = 1000, WarmUp = 1, MaxSamples = 20;
    private static readonly TimeSpan Span = TimeSpan.FromHours(6), MeasureFor = TimeSpan.FromSeconds(90);
    private static readonly SkewedTraffic Traffic = new(Routes, Consumers, stagingShare: 0.2);

    public static async Task<int> RunAsync(int events)
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_rules_bench", s =>
        {
            s["Retention__Enabled"] = "false";
            // The budget at its maximum: the figure is how long all rules take, not how many fit in the default 2 s.
            s["Alerts__Evaluation__TenantBudget"] = "00:01:00";
        });
        var tenant = host.Demo.TenantId;
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant, TenantLimits.Default with { EventsPerSecond = 100_000_000, Burst = 100_000_000, MaxRules = Rules }, default);

        var load = Stopwatch.StartNew();
        var loaded = await Traffic.LoadHistoryAsync(host, tenant, events, Span, TimeSpan.FromMinutes(10), seed: 6);
        Console.WriteLine($"  loaded {loaded:N0} events over {Span.TotalHours:N0} h in {load.Elapsed.TotalSeconds:N0} s");
        await using (var owner = new NpgsqlConnection(host.ConnectionString))
        {
            await owner.OpenAsync();
            await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE", owner) { CommandTimeout = 0 };
            await vacuum.ExecuteNonQueryAsync();
        }

        // The demo tenant starts with one rule; the others make 1,000.
        var provisioner = Provisioning.For(host);
        var random = new Random(12);
        var existing = (int)await host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant);
        for (var i = existing; i < Rules; i++)
            if (await provisioner.CreateRuleAsync(tenant, MixedRule(random, i), default) is null) throw new InvalidOperationException("The rule limit refused a bench rule.");
        Console.WriteLine($"  {Rules} enabled rules: {await host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1 AND enabled", tenant)}");

        using var http = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        var ingest = Traffic.IngestAsync(http, host.Demo.ApiKey, batchesPerSecond: 1, stop.Token);
        var measuring = DateTimeOffset.UtcNow;
        var samples = await MeasureAsync(host, tenant);
        await stop.CancelAsync();
        var sent = await ingest;
        var openAlerts = await host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state <> 'resolved'", tenant);
        // Each transition is a timeline row, and a live message the evaluation sends after its commit.
        var transitions = await host.ScalarAsync("SELECT count(*) FROM alert_timeline WHERE tenant_id = $1 AND at >= $2", tenant, measuring);

        var profile = await ProfileAsync(host, tenant);

        var durations = samples.Select(s => s.DurationMs).Order().ToList();
        var rows = new List<string[]>();
        if (durations.Count == 0)
            rows.Add(["evaluate 1,000 rules, one tenant", "no evaluation completed", $"within {MeasureFor.TotalSeconds:N0} s", "≤ 1 s: not met"]);
        else
        {
            var (p50, p95) = (Quantile(durations, 0.5), Quantile(durations, 0.95));
            rows.Add(["evaluate 1,000 rules, one tenant", $"p95 {p95 / 1000:N2} s",
                $"p50 {p50 / 1000:N2} s, max {durations[^1] / 1000:N2} s over {durations.Count} evaluations after {WarmUp} warm-up; outcomes: {string.Join(", ", samples.GroupBy(s => s.Outcome).Select(g => $"{g.Count()} {g.Key}"))}",
                $"≤ 1 s: {(p95 <= 1000 ? "met" : "not met")}"]);
        }
        rows.Add(["open alerts at the end", $"{openAlerts:N0}", "pending, firing or acknowledged, over all rules and groups", ""]);
        rows.Add(["transitions while measuring", $"{transitions:N0}", $"{transitions / Math.Max(1, samples.Count + WarmUp):N0} per evaluation, each a timeline row and a live message", ""]);
        rows.Add(["ingest meanwhile", $"{sent.Rate:N0} events/s accepted", $"{sent.Failures} failed", "1,000 events/s"]);
        rows.AddRange(profile);

        ResultsTable.Print($"PulseStream rule-evaluation benchmark — {Environment.ProcessorCount} cores, one tenant with {loaded:N0} events over {Span.TotalHours:N0} h, {Routes} routes × 2 methods, {Consumers} consumers, 2 environments; {Rules} enabled rules (mixed); the host's timer evaluating while 1,000 events/s arrive", rows);
        return 0;
    }

    /// <summary>
    /// A rule as a team writes many of them: mostly a handful of shapes (the whole API, per route, per consumer, a
    /// route's errors) over common windows, with thresholds that a few cross and most do not.
    /// </summary>
    internal static AlertRuleBody MixedRule(Random random, int i)
    {
        string Pick(params (string Value, int Weight)[] choices)
        {
            var roll = random.Next(choices.Sum(c => c.Weight));
            foreach (var (value, weight) in choices)
                if ((roll -= weight) < 0) return value;
            return choices[^1].Value;
        }
        var metric = Pick(("request_count", 2), ("error_rate", 4), ("client_error_rate", 1), ("latency_avg", 1), ("latency_p50", 1), ("latency_p95", 3), ("latency_p99", 1));
        var window = Pick(("1m", 2), ("5m", 5), ("15m", 2), ("1h", 2), ("6h", 1), ("24h", 1));
        var groupBy = Pick(("", 10), ("route", 4), ("consumerId", 3), ("route,method", 1), ("environment", 1), ("method", 1)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var filter = Pick(("", 8), ("route", 6), ("method", 1), ("environment", 2), ("consumerId", 1));
        // A route or method filter with a consumer grouping is answered from raw events; a few teams write one.
        if (filter is "route" or "method" && groupBy.Contains("consumerId") && random.Next(10) != 0) filter = "environment";
        var route = (int)(Routes * Math.Pow(random.NextDouble(), 2.5));
        var filters = new RuleFilters(
            Route: filter == "route" ? $"/v1/resource-{route}/{{id}}" : null,
            Method: filter == "method" ? "POST" : null,
            Environment: filter == "environment" ? (random.Next(4) == 0 ? "staging" : "production") : null,
            ConsumerId: filter == "consumerId" ? $"customer-{(int)(Consumers * Math.Pow(random.NextDouble(), 2))}" : null);
        // Thresholds around what the generated traffic shows, so that some rules hold and most do not.
        var (op, threshold) = metric switch
        {
            "request_count" => (">", (double)random.Next(10, 5000)),
            "error_rate" => (">", random.Next(5) == 0 ? 0.01 : 0.05),
            "client_error_rate" => (">", 0.08),
            "latency_avg" => (">", random.Next(5) == 0 ? 20.0 : 200.0),
            _ => (">", random.Next(5) == 0 ? 30.0 : 500.0),
        };
        var condition = new RuleCondition("threshold", metric, op, threshold, window, filter == "" ? null : filters, groupBy.Length == 0 ? null : groupBy,
            random.Next(3) == 0 ? random.Next(1, 50) : null);
        return new AlertRuleBody($"bench rule {i}: {metric} {window} by {string.Join('+', groupBy)}", true, Pick(("critical", 1), ("warning", 3), ("info", 1)), condition,
            Pick(("0s", 3), ("1m", 2), ("5m", 1)), null, null);
    }

    private sealed record Sample(double DurationMs, string Outcome);

    /// <summary>Polls the host's schedule row: each completed evaluation leaves its start, duration and outcome.</summary>
    private static async Task<List<Sample>> MeasureAsync(LocalHostProcess host, Guid tenant)
    {
        await using var owner = new NpgsqlConnection(host.ConnectionString);
        await owner.OpenAsync();
        var seen = new HashSet<DateTimeOffset>();
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var warm = 0;
        while (clock.Elapsed < MeasureFor && samples.Count < MaxSamples)
        {
            await Task.Delay(50);
            // Completed: the claim's lease (next_at far ahead) was replaced by the outcome's next attempt.
            await using var command = new NpgsqlCommand("""
                SELECT last_started_at, last_duration_ms, last_outcome FROM rule_evaluation_schedule
                WHERE tenant_id = $1 AND last_outcome IS NOT NULL AND next_at < last_started_at + interval '100 seconds'
                """, owner);
            command.Parameters.AddWithValue(tenant);
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync() || !seen.Add(reader.GetFieldValue<DateTimeOffset>(0))) continue;
            var sample = new Sample(reader.GetInt32(1), reader.GetString(2));
            Console.WriteLine($"  evaluation: {sample.DurationMs:N0} ms, {sample.Outcome}{(warm < WarmUp ? " (warm-up)" : "")}");
            if (warm++ < WarmUp) continue;
            samples.Add(sample);
        }
        return samples;
    }

    /// <summary>
    /// Where the time goes, in this process with the host's evaluation held off and no traffic: the rules read, then
    /// each rule's metric read alone (RuleMetricQuery, in a transaction of its own), summed per kind of read; the rest
    /// of the host's figure is the per-rule transaction, lock, alert-state reads and writes.
    /// </summary>
    private static async Task<List<string[]>> ProfileAsync(LocalHostProcess host, Guid tenant)
    {
        await using var owner = new NpgsqlConnection(host.ConnectionString);
        await owner.OpenAsync();
        // Hold the host's evaluator off: wait until no evaluation runs, then push the next attempt far out.
        await LocalHostProcess.EventuallyAsync(async () =>
        {
            await using var hold = new NpgsqlCommand("""
                UPDATE rule_evaluation_schedule SET next_at = 'infinity' WHERE tenant_id = $1
                AND (last_outcome IS NULL OR next_at < last_started_at + interval '100 seconds')
                """, owner);
            hold.Parameters.AddWithValue(tenant);
            return await hold.ExecuteNonQueryAsync() == 1;
        }, TimeSpan.FromMinutes(2));

        await using var app = NpgsqlDataSource.Create(host.AppConnectionString);
        var database = new Database(app);
        var metrics = new RuleMetricQuery(new RawEventRollup(new SegmentEventStore(database)));
        var clock = Stopwatch.StartNew();
        var rules = await new AlertRuleStore(database, TimeProvider.System, new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System))
            .ListAsync(tenant, enabledOnly: true, default);
        var listMs = clock.Elapsed.TotalMilliseconds;
        var byKind = new Dictionary<string, (int Rules, double Ms)>();
        var now = DateTimeOffset.UtcNow;
        clock.Restart();
        foreach (var rule in rules)
        {
            var start = Stopwatch.GetTimestamp();
            await database.ForTenantAsync(tenant, (c, t) => metrics.ComputeAsync(c, t, tenant, rule, now, [], 1001, default), default);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var kind = KindOf(rule);
            byKind[kind] = byKind.TryGetValue(kind, out var k) ? (k.Rules + 1, k.Ms + ms) : (1, ms);
        }
        var readsMs = clock.Elapsed.TotalMilliseconds;

        // The same metrics as the evaluator reads them: one read per unit of rules sharing a set, window and sketches.
        var units = rules.GroupBy(RuleReadBatch.KeyOf).ToList();
        var byUnit = new List<(string Kind, int Rules, double Ms)>();
        clock.Restart();
        foreach (var unit in units)
        {
            var start = Stopwatch.GetTimestamp();
            if (unit.Key is { } key)
                await database.ForTenantAsync(tenant, (c, t) => RuleReadBatch.ComputeAsync(c, t, tenant, key, unit.ToList(), now, new Dictionary<Guid, IReadOnlyCollection<string>>(), 1001, default), default);
            else
                foreach (var rule in unit)
                    await database.ForTenantAsync(tenant, (c, t) => metrics.ComputeAsync(c, t, tenant, rule, now, [], 1001, default), default);
            byUnit.Add((unit.Key is { } k ? $"{k.Set.Name} {k.Window.TotalMinutes:N0} min{(k.Sketches ? " with sketches" : "")}" : "raw events, one rule at a time", unit.Count(), Stopwatch.GetElapsedTime(start).TotalMilliseconds));
        }
        var batchedMs = clock.Elapsed.TotalMilliseconds;

        // The product's evaluator in this process, the live push counted instead of sent: the whole evaluation less the push.
        var pushes = new CountingPublisher();
        var evaluator = new AlertEvaluator(database, metrics, TimeProvider.System, pushes,
            Microsoft.Extensions.Options.Options.Create(new RuleEvaluationOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<AlertEvaluator>.Instance);
        var whole = new List<(double Ms, int Pushes, EvaluationOutcome Outcome)>();
        for (var i = 0; i < 3; i++)
        {
            pushes.Count = 0;
            var start = Stopwatch.GetTimestamp();
            var result = await evaluator.EvaluateTenantAsync(tenant, DateTimeOffset.UtcNow.AddMinutes(1), default);
            whole.Add((Stopwatch.GetElapsedTime(start).TotalMilliseconds, pushes.Count, result.Outcome));
        }

        var rows = new List<string[]>();
        rows.Add(["profile: list the enabled rules", $"{listMs:N0} ms", $"{rules.Count} rules, one statement, definitions parsed", ""]);
        rows.Add(["profile: metric reads alone, one rule at a time", $"{readsMs:N0} ms", "each in its own transaction, no lock, no state (before batching)", ""]);
        foreach (var (kind, (count, ms)) in byKind.OrderByDescending(k => k.Value.Ms))
            rows.Add([$"profile: … {kind}", $"{ms:N0} ms", $"{count} rules, {ms / count:N1} ms each", ""]);
        rows.Add(["profile: metric reads alone, batched", $"{batchedMs:N0} ms", $"{units.Count(u => u.Key is not null)} shared rollup reads, and the raw-event rules one at a time", ""]);
        foreach (var (kind, count, ms) in byUnit.OrderByDescending(u => u.Ms).Take(8))
            rows.Add([$"profile: … {kind}", $"{ms:N0} ms", $"{count} rules", ""]);
        foreach (var (ms, count, outcome) in whole)
            rows.Add(["profile: whole evaluation in-process, live push not sent", $"{ms:N0} ms", $"{outcome}, {count:N0} transitions (no traffic meanwhile)", ""]);
        return rows;
    }

    /// <summary>Counts the live messages an evaluation would send (the profile measures the evaluation without them).</summary>
    private sealed class CountingPublisher : Realtime.IRealtimePublisher
    {
        public int Count;
        public Task SendToTenantAsync(Guid tenantId, string target, object payload, CancellationToken ct) { Interlocked.Increment(ref Count); return Task.CompletedTask; }
        public Task AddUserToTenantAsync(Guid tenantId, string userId, CancellationToken ct) => Task.CompletedTask;
        public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken ct) => Task.CompletedTask;
        public Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken ct) => Task.CompletedTask;
        public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken ct) => Task.CompletedTask;
    }

    private static string KindOf(AlertRule rule)
    {
        var c = rule.Body.Condition;
        var columns = (c.GroupBy ?? []).Select(g => g == "consumerId" ? "consumer_id" : g).ToArray();
        var f = c.Filters ?? new RuleFilters();
        var set = new RollupFilter(f.Route, f.Method, f.ConsumerId, f.Environment).SetFor(columns);
        return $"{set?.Name ?? "raw events"}{(MetricValue.NeedsSketch(c.Metric) ? " with sketches" : "")}";
    }

    private static double Quantile(List<double> sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Count - 1))];
}
