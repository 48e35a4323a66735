using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only alerts</c>: how long a team waits to hear of a problem. One tenant with history (default
/// 200,000 events over 6 hours) and 1,000 enabled rules: 980 mixed ones, as the rules benchmark writes them, and 20
/// trial rules (<c>error_rate &gt; 0.5</c> on a route of their own, <c>for: 0s</c>, a webhook channel to a receiver in
/// this process). While 1,000 events/s of ordinary traffic arrive, each trial posts 20 5xx events to its route and
/// measures, from the moment the batch was posted: the alert seen <c>firing</c> through <c>GET /api/v1/alerts</c>
/// (polled every 50 ms), and its first delivery attempt arriving at the receiver. Prints p50/p95/max beside the goals
/// (≤ 10 s and ≤ 15 s at p95).
/// </summary>
public static class AlertLatencyLoad
{
    private const int Trials = 20, Rules = 1000;
    private static readonly TimeSpan Span = TimeSpan.FromHours(6), TrialTimeout = TimeSpan.FromSeconds(90);
    private static readonly SkewedTraffic Traffic = new(200, 1000, stagingShare: 0.2);

    public static async Task<int> RunAsync(int events)
    {
        using var receiver = new WebhookReceiver();
        await using var host = await LocalHostProcess.StartAsync("pulse_alerts_bench", s =>
        {
            s["Retention__Enabled"] = "false";
            // The receiver listens on loopback, which only an operator's explicit allowance admits.
            s["Notifications__AllowPrivateNetworkTargets"] = "true";
            s["Notifications__AllowedHosts__0"] = "127.0.0.1";
        });
        var tenant = host.Demo.TenantId;
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(tenant, TenantLimits.Default with { EventsPerSecond = 100_000_000, Burst = 100_000_000, MaxRules = Rules }, default);
        var loaded = await Traffic.LoadHistoryAsync(host, tenant, events, Span, TimeSpan.FromMinutes(10), seed: 13);
        Console.WriteLine($"  loaded {loaded:N0} events over {Span.TotalHours:N0} h");

        var token = await host.LoginAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var channelId = await CreateChannelAsync(host, token, receiver.Url);
        var random = new Random(12);
        var existing = (int)await host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1", tenant);
        var provisioner = Provisioning.For(host);
        for (var i = existing; i < Rules - Trials; i++)
            if (await provisioner.CreateRuleAsync(tenant, RuleEvaluationLoad.MixedRule(random, i), default) is null) throw new InvalidOperationException("The rule limit refused a bench rule.");
        var trials = new List<(int Trial, Guid RuleId)>();
        for (var i = 0; i < Trials; i++) trials.Add((i, await CreateTrialRuleAsync(provisioner, tenant, i, channelId)));
        Console.WriteLine($"  enabled rules: {await host.ScalarAsync("SELECT count(*) FROM alert_rules WHERE tenant_id = $1 AND enabled", tenant)}");

        using var stop = new CancellationTokenSource();
        var ingest = Traffic.IngestAsync(http, host.Demo.ApiKey, batchesPerSecond: 1, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(20)); // the host evaluates the new rules once before the first trial
        var firing = new List<double>();
        var delivered = new List<double>();
        var missed = 0;
        foreach (var (trial, ruleId) in trials)
        {
            var (toFiring, toDelivery) = await RunTrialAsync(host, token, receiver, trial, ruleId);
            Console.WriteLine($"  trial {trial + 1}: firing after {Show(toFiring)}, first delivery attempt after {Show(toDelivery)}");
            if (toFiring is { } f) firing.Add(f); else missed++;
            if (toDelivery is { } d) delivered.Add(d);
        }
        await stop.CancelAsync();
        var sent = await ingest;

        List<string[]> rows =
        [
            Row("first event → alert firing", firing, 10),
            Row("first event → first delivery attempt", delivered, 15),
            ["trials", $"{Trials}", $"{missed} did not fire within {TrialTimeout.TotalSeconds:N0} s", ""],
            ["ingest meanwhile", $"{sent.Rate:N0} events/s accepted", $"{sent.Failures} failed", "1,000 events/s"],
        ];
        ResultsTable.Print($"PulseStream alert-latency benchmark — {Environment.ProcessorCount} cores, one tenant with {loaded:N0} events over {Span.TotalHours:N0} h and {Rules} enabled rules; for: 0s; a webhook receiver on loopback", rows);
        return 0;

        static string Show(double? seconds) => seconds is { } s ? $"{s:N2} s" : "never";
    }

    private static string[] Row(string what, List<double> seconds, double goal)
    {
        if (seconds.Count == 0) return [what, "none", "", $"≤ {goal:N0} s at p95: not met"];
        seconds.Sort();
        var p95 = seconds[(int)Math.Ceiling(0.95 * seconds.Count) - 1];
        return [what, $"p95 {p95:N2} s", $"p50 {seconds[(seconds.Count - 1) / 2]:N2} s, max {seconds[^1]:N2} s over {seconds.Count} trials",
            $"≤ {goal:N0} s at p95: {(p95 <= goal ? "met" : "not met")}"];
    }

    private static async Task<Guid> CreateChannelAsync(LocalHostProcess host, string token, string url)
    {
        using var response = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/channels", token, new { type = "webhook", name = "bench receiver", url }));
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"Creating the channel answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>A trial's rule, created as the mixed ones are (the host's API would also refuse past its cached rule limit).</summary>
    private static async Task<Guid> CreateTrialRuleAsync(PulseStream.Tenancy.TenantProvisioner provisioner, Guid tenant, int trial, Guid channelId)
    {
        var rule = new PulseStream.Alerting.AlertRuleBody($"alert latency trial {trial + 1}", true, "critical",
            new PulseStream.Alerting.RuleCondition("threshold", "error_rate", ">", 0.5, "5m", new PulseStream.Alerting.RuleFilters(Route: TrialRoute(trial)), null, 10),
            "0s", [channelId], null, GroupWait: "0s", GroupInterval: "0s");
        return (await provisioner.CreateRuleAsync(tenant, rule, default))?.Id ?? throw new InvalidOperationException("The rule limit refused a trial rule.");
    }

    private static string TrialRoute(int trial) => $"/v1/alert-trial-{trial}";

    /// <summary>Posts the trial's 5xx events and waits for the alert to fire and its delivery to arrive; seconds from the post.</summary>
    private static async Task<(double? Firing, double? Delivery)> RunTrialAsync(LocalHostProcess host, string token, WebhookReceiver receiver, int trial, Guid ruleId)
    {
        var events = Enumerable.Range(0, 20).Select(_ => Payloads.Event(route: TrialRoute(trial), status: 503));
        var posted = Stopwatch.GetTimestamp();
        using (var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(events))))
            if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"The trial's events answered {(int)response.StatusCode}.");
        double? firing = null, delivery = null;
        while (Stopwatch.GetElapsedTime(posted) < TrialTimeout && (firing is null || delivery is null))
        {
            if (firing is null)
            {
                var alerts = await host.GetJsonAsync($"api/v1/alerts?ruleId={ruleId}", token);
                if (alerts.GetProperty("items").EnumerateArray().Any(a => a.GetProperty("state").GetString() == "firing"))
                    firing = Stopwatch.GetElapsedTime(posted).TotalSeconds;
            }
            if (delivery is null && receiver.FirstArrival(ruleId) is { } arrived)
                delivery = Stopwatch.GetElapsedTime(posted, arrived).TotalSeconds;
            await Task.Delay(50);
        }
        return (firing, delivery);
    }

    /// <summary>A webhook receiver on loopback that notes when the first delivery of each rule's alerts arrived.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentDictionary<Guid, long> _firstArrival = new();

        public WebhookReceiver()
        {
            var port = TestEnvironment.FreePort();
            Url = $"http://127.0.0.1:{port}/hook";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public long? FirstArrival(Guid ruleId) => _firstArrival.TryGetValue(ruleId, out var at) ? at : null;

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) when (!_listener.IsListening) { return; }
                var arrived = Stopwatch.GetTimestamp();
                try
                {
                    using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
                    if (body.RootElement.TryGetProperty("alert", out var alert) && alert.TryGetProperty("ruleId", out var rule) && rule.TryGetGuid(out var ruleId))
                        _firstArrival.TryAdd(ruleId, arrived);
                }
                catch (JsonException)
                {
                }
                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
