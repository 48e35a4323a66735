using System.Globalization;
using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// One data set with exactly known answers, sent through the real ingest path (duplicates by eventId and events six
/// days late included), against every read: each window of the overview, routes and consumers, and every window ×
/// step of the series. Counts must match exactly, percentiles within the sketch's 1%, for the range each answer
/// states (<c>from</c>, <c>to</c>).
/// </summary>
public sealed class AnalyticsDataSetFixture : IAsyncLifetime
{
    public HostFixture HostFixture { get; } = new();
    public LocalHostProcess Host => HostFixture.Host;
    public List<SentEvent> Events { get; } = [];
    public string Token { get; private set; } = "";
    public int Duplicates { get; private set; }
    public Guid TenantId { get; private set; }

    public sealed record SentEvent(string Id, DateTimeOffset Ts, string Method, string Route, int Status, double Latency, string? Consumer, string Environment, long Bytes);

    public async Task InitializeAsync()
    {
        await HostFixture.InitializeAsync();
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Known Answers Co", $"known-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        TenantId = tenant.TenantId;
        var random = new Random(2026);
        var now = DateTimeOffset.UtcNow;
        string[] routes = ["/v1/orders", "/v1/orders/{id}", "/v1/products", "/v1/checkout", "/v1/search", "/v1/users/{id}"];
        for (var i = 0; i < 4000; i++)
        {
            // A third in the last hour (windows 5m-1h), the rest over six days, a few exactly six days late.
            var age = i % 3 == 0 ? TimeSpan.FromSeconds(random.Next(0, 3600)) : i % 97 == 0 ? TimeSpan.FromDays(6) - TimeSpan.FromMinutes(random.Next(1, 30))
                : TimeSpan.FromSeconds(random.Next(0, 6 * 86400));
            var status = random.Next(100) switch { < 6 => 503, < 9 => 500, < 15 => 404, < 18 => 302, _ => 200 };
            var latency = Math.Round(Math.Exp(3 + 1.2 * Gaussian(random)) + 0.5, 3);
            Events.Add(new SentEvent($"k-{i}", now - age, i % 4 == 0 ? "POST" : "GET", routes[random.Next(routes.Length)], status, latency,
                i % 5 == 0 ? null : $"customer-{random.Next(40)}", i % 10 == 0 ? "staging" : "production", random.Next(0, 5000)));
        }
        var sends = Events.Concat(Events.Where((_, i) => i % 20 == 0)).ToList(); // 5% sent twice, in later batches
        Duplicates = sends.Count - Events.Count;
        foreach (var chunk in sends.Chunk(500))
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new
            {
                events = chunk.Select(e => new
                {
                    eventId = e.Id, timestamp = e.Ts.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture), method = e.Method,
                    path = e.Route.Replace("{id}", "42"), route = e.Route, statusCode = e.Status, latencyMs = e.Latency, responseBytes = e.Bytes,
                    consumerId = e.Consumer, environment = e.Environment,
                }),
            }, tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(60)), Host.Output);
        Token = await Host.LoginAsync(tenant.OwnerEmail, "a long password 123");
    }

    public async Task DisposeAsync() => await HostFixture.DisposeAsync();

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, path, Token));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

public class AnalyticsCorrectnessTests(AnalyticsDataSetFixture data) : IClassFixture<AnalyticsDataSetFixture>
{
    private static readonly string[] Windows = ["5m", "15m", "1h", "6h", "24h", "7d", "30d"];
    private static readonly string[] Steps = ["10s", "1m", "5m", "1h", "1d"];

    private static (DateTimeOffset From, DateTimeOffset To) Range(JsonElement answer) =>
        (answer.GetProperty("from").GetDateTimeOffset(), answer.GetProperty("to").GetDateTimeOffset());

    private IEnumerable<AnalyticsDataSetFixture.SentEvent> In(DateTimeOffset from, DateTimeOffset to, Func<AnalyticsDataSetFixture.SentEvent, bool>? where = null) =>
        data.Events.Where(e => e.Ts >= from && e.Ts < to && (where?.Invoke(e) ?? true));

    /// <summary>
    /// Equal but for the last bits of a double: the store sums in another order than LINQ does, so comparing to a
    /// number of decimal places fails whenever the two straddle a rounding boundary.
    /// </summary>
    internal static void AssertExact(double expected, double actual) =>
        Assert.Equal(expected, actual, tolerance: 1e-12 * Math.Max(1, Math.Abs(expected)));

    private static void WithinOnePercent(IEnumerable<double> latencies, double q, JsonElement actual, string what)
    {
        var sorted = latencies.Order().ToArray();
        if (sorted.Length == 0)
        {
            Assert.Equal(JsonValueKind.Null, actual.ValueKind);
            return;
        }
        var exact = sorted[(int)Math.Floor(q * (sorted.Length - 1))];
        var estimate = actual.GetDouble();
        Assert.True(Math.Abs(estimate - exact) <= 0.01 * exact + 1e-9, $"{what}: p{q * 100} {estimate} against exact {exact}");
    }

    [Fact]
    public void Duplicates_were_sent()
    {
        Assert.True(data.Duplicates > 100);
    }

    [Theory]
    [MemberData(nameof(WindowData))]
    public async Task The_overview_of_every_window_counts_exactly_the_events_in_its_range(string window)
    {
        var overview = await data.GetAsync($"api/v1/dashboard/overview?window={window}");
        var (from, to) = Range(overview);
        Assert.Equal(Durations(window), to - from);
        var events = In(from, to).ToList();
        var totals = overview.GetProperty("totals");
        Assert.Equal(events.Count, totals.GetProperty("requests").GetInt64());
        Assert.Equal(events.Count(e => e.Status >= 500), totals.GetProperty("errors5xx").GetInt64());
        Assert.Equal(events.Count(e => e.Status is >= 400 and < 500), totals.GetProperty("errors4xx").GetInt64());
        Assert.Equal(events.Sum(e => e.Bytes), totals.GetProperty("responseBytes").GetInt64());
        foreach (var q in new[] { 0.5, 0.95, 0.99 }) WithinOnePercent(events.Select(e => e.Latency), q, totals.GetProperty($"p{q * 100:0}"), $"overview {window}");
        var classes = overview.GetProperty("statusClasses");
        foreach (var c in new[] { 2, 3, 4, 5 }) Assert.Equal(events.Count(e => e.Status / 100 == c), classes.GetProperty($"{c}xx").GetInt64());
        foreach (var top in overview.GetProperty("topRoutes").EnumerateArray())
        {
            var route = events.Where(e => e.Route == top.GetProperty("route").GetString() && e.Method == top.GetProperty("method").GetString()).ToList();
            Assert.Equal(route.Count, top.GetProperty("requests").GetInt64());
            WithinOnePercent(route.Select(e => e.Latency), 0.95, top.GetProperty("p95"), "top route");
        }
        Assert.Equal(events.GroupBy(e => e.Environment).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key),
            overview.GetProperty("environments").EnumerateArray().Select(e => e.GetString()));
        var staging = await data.GetAsync($"api/v1/dashboard/overview?window={window}&environment=staging");
        Assert.Equal(overview.GetProperty("environments").ToString(), staging.GetProperty("environments").ToString());
        var (sFrom, sTo) = Range(staging);
        Assert.Equal(In(sFrom, sTo, e => e.Environment == "staging").Count(), staging.GetProperty("totals").GetProperty("requests").GetInt64());
    }

    public static TheoryData<string> WindowData() => [.. Windows];

    public static TheoryData<string, string> WindowStepData()
    {
        var data = new TheoryData<string, string>();
        foreach (var w in Windows) foreach (var s in Steps) data.Add(w, s);
        return data;
    }

    private static TimeSpan Durations(string text) => PulseStream.Metrics.Durations.TryParse(text, out var d) ? d : throw new ArgumentException(text);

    [Theory]
    [MemberData(nameof(WindowStepData))]
    public async Task Every_window_and_step_of_the_series_counts_each_point_exactly(string window, string step)
    {
        foreach (var (query, where) in new (string, Func<AnalyticsDataSetFixture.SentEvent, bool>)[]
        {
            ("", _ => true),
            ("&route=/v1/checkout", e => e.Route == "/v1/checkout"),
            ("&consumerId=customer-7", e => e.Consumer == "customer-7"),
            ("&route=/v1/orders&method=POST&consumerId=customer-3", e => e.Route == "/v1/orders" && e.Method == "POST" && e.Consumer == "customer-3"),
        })
        {
            // Long windows at 10 s give 60k-260k points: check those unfiltered only, to keep the test quick.
            if (step == "10s" && Durations(window) > TimeSpan.FromHours(24) && query.Length > 0) continue;
            var series = await data.GetAsync($"api/v1/metrics/timeseries?metric=request_count&window={window}&step={step}{query}");
            var (from, to) = Range(series);
            Assert.Equal(Durations(window), to - from);
            var points = series.GetProperty("points").EnumerateArray().Select(p => (Ts: p.GetProperty("ts").GetDateTimeOffset(), Value: p.GetProperty("value").GetDouble())).ToList();
            Assert.Equal(from, points[0].Ts);
            var counted = 0.0;
            // A sweep over the matching events in time order: points are in time order too.
            var times = In(from, to, where).Select(e => e.Ts).Order().ToArray();
            var at = 0;
            for (var i = 0; i < points.Count; i++)
            {
                var end = i + 1 < points.Count ? points[i + 1].Ts : to;
                var first = at;
                while (at < times.Length && times[at] < end) at++;
                var expected = at - first;
                if (expected != points[i].Value)
                    Assert.Fail($"{window}/{step}{query}: point {points[i].Ts:O} counts {points[i].Value}, the data set has {expected} in [{points[i].Ts:O}, {end:O})");
                counted += points[i].Value;
            }
            Assert.Equal(In(from, to, where).Count(), counted);
        }
    }

    [Theory]
    [InlineData("1h", "1m")]
    [InlineData("24h", "1h")]
    [InlineData("7d", "1d")]
    public async Task Percentile_and_rate_series_match_the_raw_values(string window, string step)
    {
        foreach (var metric in new[] { "latency_p95", "latency_p50", "error_rate", "latency_avg" })
        {
            var series = await data.GetAsync($"api/v1/metrics/timeseries?metric={metric}&window={window}&step={step}");
            var (_, to) = Range(series);
            var points = series.GetProperty("points").EnumerateArray().ToList();
            for (var i = 0; i < points.Count; i++)
            {
                var start = points[i].GetProperty("ts").GetDateTimeOffset();
                var end = i + 1 < points.Count ? points[i + 1].GetProperty("ts").GetDateTimeOffset() : to;
                var events = In(start, end).ToList();
                var value = points[i].GetProperty("value");
                switch (metric)
                {
                    case "latency_p95": WithinOnePercent(events.Select(e => e.Latency), 0.95, value, $"{window}/{step} at {start:O}"); break;
                    case "latency_p50": WithinOnePercent(events.Select(e => e.Latency), 0.50, value, $"{window}/{step} at {start:O}"); break;
                    case "error_rate":
                        if (events.Count == 0) Assert.Equal(JsonValueKind.Null, value.ValueKind);
                        else AssertExact((double)events.Count(e => e.Status >= 500) / events.Count, value.GetDouble());
                        break;
                    default:
                        if (events.Count == 0) Assert.Equal(JsonValueKind.Null, value.ValueKind);
                        else AssertExact(events.Average(e => e.Latency), value.GetDouble());
                        break;
                }
            }
        }
    }

    [Theory]
    [InlineData("1h")]
    [InlineData("24h")]
    [InlineData("7d")]
    public async Task Routes_and_consumers_count_and_rank_exactly_and_page_without_loss(string window)
    {
        var routes = await data.GetAsync($"api/v1/routes?window={window}&limit=5");
        var (from, to) = Range(routes);
        var events = In(from, to).ToList();
        var seen = new List<JsonElement>(routes.GetProperty("items").EnumerateArray());
        var next = routes.GetProperty("next");
        while (next.ValueKind == JsonValueKind.String)
        {
            var page = await data.GetAsync($"api/v1/routes?window={window}&limit=5&cursor={Uri.EscapeDataString(next.GetString()!)}");
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            next = page.GetProperty("next");
        }
        var expected = events.GroupBy(e => (e.Route, e.Method)).ToList();
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(seen.Select(r => r.GetProperty("requests").GetInt64()).OrderDescending(), seen.Select(r => r.GetProperty("requests").GetInt64()));
        foreach (var item in seen)
        {
            var group = expected.Single(g => g.Key == (item.GetProperty("route").GetString()!, item.GetProperty("method").GetString()!)).ToList();
            Assert.Equal(group.Count, item.GetProperty("requests").GetInt64());
            AssertExact((double)group.Count(e => e.Status >= 500) / group.Count, item.GetProperty("errorRate").GetDouble());
            Assert.Equal(group.Sum(e => e.Bytes), item.GetProperty("responseBytes").GetInt64());
            foreach (var q in new[] { 0.5, 0.95, 0.99 }) WithinOnePercent(group.Select(e => e.Latency), q, item.GetProperty($"p{q * 100:0}"), "route");
        }

        var consumers = await data.GetAsync($"api/v1/consumers?window={window}&sort=p95&limit=1000");
        (from, to) = Range(consumers);
        var byConsumer = In(from, to, e => e.Consumer is not null).GroupBy(e => e.Consumer!).ToDictionary(g => g.Key, g => g.ToList());
        var items = consumers.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(byConsumer.Count, items.Count);
        Assert.Equal(items.Select(c => c.GetProperty("p95").GetDouble()).OrderDescending(), items.Select(c => c.GetProperty("p95").GetDouble()));
        foreach (var item in items)
        {
            var group = byConsumer[item.GetProperty("consumerId").GetString()!];
            Assert.Equal(group.Count, item.GetProperty("requests").GetInt64());
            Assert.Equal(group.Max(e => e.Ts).ToUnixTimeMilliseconds(), item.GetProperty("lastSeen").GetDateTimeOffset().ToUnixTimeMilliseconds());
            WithinOnePercent(group.Select(e => e.Latency), 0.95, item.GetProperty("p95"), "consumer");
        }
    }

    [Fact]
    public async Task Another_tenant_reading_the_same_windows_and_filters_sees_none_of_the_data_set()
    {
        var other = await Provisioning.For(data.Host).CreateTenantAsync("Nosy Co", $"nosy-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var token = await data.Host.LoginAsync(other.OwnerEmail, "a long password 123");
        async Task<JsonElement> Get(string path)
        {
            using var response = await data.Host.Http.SendAsync(data.Host.Authorized(HttpMethod.Get, path, token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        Assert.Equal(0, (await Get("api/v1/dashboard/overview?window=7d")).GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Empty((await Get("api/v1/routes?window=7d")).GetProperty("items").EnumerateArray());
        Assert.Empty((await Get("api/v1/consumers?window=7d")).GetProperty("items").EnumerateArray());
        foreach (var query in new[] { "", "&consumerId=customer-7", "&route=/v1/orders&consumerId=customer-3" })
        {
            var series = await Get($"api/v1/metrics/timeseries?metric=request_count&window=7d&step=1h{query}");
            Assert.All(series.GetProperty("points").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("value").GetDouble()));
        }
        Assert.Empty((await Get("api/v1/events?consumerId=customer-7")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_window_pinned_by_to_ends_with_that_minute_and_counts_exactly_its_events()
    {
        var end = DateTimeOffset.UtcNow.AddHours(-3);
        var to = Uri.EscapeDataString(end.ToString("O"));
        var overview = await data.GetAsync($"api/v1/dashboard/overview?window=1h&to={to}");
        var series = await data.GetAsync($"api/v1/metrics/timeseries?metric=request_count&window=1h&step=1m&to={to}");
        var (from, until) = Range(overview);
        var minute = new DateTimeOffset(end.Year, end.Month, end.Day, end.Hour, end.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        Assert.Equal((minute.AddHours(-1), minute), (from, until));
        Assert.Equal((from, until), Range(series));
        var expected = In(from, until).Count();
        Assert.Equal(expected, overview.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(expected, series.GetProperty("points").EnumerateArray()
            .Sum(p => p.GetProperty("value") is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : 0));
    }

    [Theory]
    [InlineData("routes", "1h", "1m")]
    [InlineData("consumers", "24h", "1h")]
    [InlineData("routes", "7d", "1h")]
    public async Task Sparklines_count_each_rows_requests_per_step(string table, string window, string step)
    {
        var page = await data.GetAsync($"api/v1/{table}?window={window}&spark=true&limit=20");
        Assert.Equal(step, page.GetProperty("sparkStep").GetString());
        var (from, to) = Range(page);
        var width = Durations(step);
        var points = 1 + (int)Math.Ceiling(((to - from) - (PulseStream.Metrics.Durations.Floor(from, width) + width - from)) / width);
        foreach (var item in page.GetProperty("items").EnumerateArray())
        {
            var spark = item.GetProperty("spark").EnumerateArray().Select(v => v.GetInt64()).ToList();
            Assert.Equal(points, spark.Count);
            Assert.Equal(item.GetProperty("requests").GetInt64(), spark.Sum());
        }
        var plain = await data.GetAsync($"api/v1/{table}?window={window}&limit=1");
        Assert.False(plain.TryGetProperty("sparkStep", out _));
        Assert.All(plain.GetProperty("items").EnumerateArray(), i => Assert.False(i.TryGetProperty("spark", out _)));
    }

    [Fact]
    public async Task A_route_and_a_consumer_detail_count_their_events_and_their_top_consumers_and_routes_exactly()
    {
        var overview = await data.GetAsync("api/v1/dashboard/overview?window=24h");
        var (from, to) = Range(overview);
        var busiest = In(from, to).GroupBy(e => (e.Route, e.Method)).OrderByDescending(g => g.Count()).First().Key;
        var route = await data.GetAsync($"api/v1/routes/detail?window=24h&route={Uri.EscapeDataString(busiest.Route)}&method={busiest.Method}");
        var events = In(from, to, e => e.Route == busiest.Route && e.Method == busiest.Method).ToList();
        Assert.Equal(events.Count, route.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(events.Count(e => e.Status >= 500), route.GetProperty("statusClasses").GetProperty("5xx").GetInt64());
        var top = route.GetProperty("top");
        Assert.Equal("consumers", top.GetProperty("of").GetString());
        Assert.True(top.GetProperty("complete").GetBoolean());
        var expected = events.GroupBy(e => e.Consumer ?? "").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(10)
            .Select(g => (g.Key.Length == 0 ? null : g.Key, (long)g.Count())).ToList();
        Assert.Equal(expected, top.GetProperty("items").EnumerateArray()
            .Select(i => (i.TryGetProperty("consumerId", out var id) ? id.GetString() : null, i.GetProperty("requests").GetInt64())).ToList());

        var consumer = expected.First(c => c.Item1 is not null).Item1!;
        var detail = await data.GetAsync($"api/v1/consumers/detail?window=24h&consumerId={Uri.EscapeDataString(consumer)}");
        var ofConsumer = In(from, to, e => e.Consumer == consumer).ToList();
        Assert.Equal(ofConsumer.Count, detail.GetProperty("totals").GetProperty("requests").GetInt64());
        var routes = ofConsumer.GroupBy(e => (e.Route, e.Method)).ToDictionary(g => g.Key, g => (long)g.Count());
        foreach (var item in detail.GetProperty("top").GetProperty("items").EnumerateArray())
            Assert.Equal(routes[(item.GetProperty("route").GetString()!, item.GetProperty("method").GetString()!)], item.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Bad_parameters_answer_400_naming_them()
    {
        foreach (var (path, type) in new[]
        {
            ("api/v1/metrics/timeseries?window=2h", "invalid-window"), ("api/v1/metrics/timeseries?step=2m", "invalid-step"),
            ("api/v1/routes?sort=bogus", "invalid-sort"), ("api/v1/consumers?cursor=bogus", "invalid-cursor"),
            ("api/v1/routes?limit=0", "invalid-limit"), ("api/v1/dashboard/overview?route=/x", "invalid-route"),
            ("api/v1/dashboard/overview?to=yesterday", "invalid-to"), ("api/v1/routes/detail?route=/x", "missing-route"),
            ("api/v1/consumers/detail", "missing-consumer"), ("api/v1/routes/detail?route=/x&method=GET&consumerId=c", "invalid-consumerId"),
            ("api/v1/routes?spark=yes", "invalid-spark"), ($"api/v1/routes?to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}", "invalid-to"),
        })
        {
            using var response = await data.Host.Http.SendAsync(data.Host.Authorized(HttpMethod.Get, path, data.Token));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.EndsWith("/" + type, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        }
    }
}

/// <summary>A rule's value is the dashboard's value for the same window and filters: both read the same sets and tiers.</summary>
public class RuleReadsLikeTheDashboardTests(AnalyticsDataSetFixture data) : IClassFixture<AnalyticsDataSetFixture>
{
    private async Task<List<PulseStream.Alerting.GroupValue>> RuleValuesAsync(string metric, string window, DateTimeOffset to,
        PulseStream.Alerting.RuleFilters? filters, string[] groupBy)
    {
        var rule = new PulseStream.Alerting.AlertRule(Guid.NewGuid(), new PulseStream.Alerting.AlertRuleBody("same numbers", true, "warning",
            new PulseStream.Alerting.RuleCondition("threshold", metric, ">", 0, window, filters, groupBy), null, null, null), to, to);
        await using var source = Npgsql.NpgsqlDataSource.Create(data.Host.ConnectionString);
        await using var connection = await source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // The rule evaluated half a minute into the last minute of the dashboard's window covers that same window.
        return await new PulseStream.Alerting.RuleMetricQuery(new PulseStream.Metrics.RawEventRollup(new PulseStream.Events.Segments.SegmentEventStore(new PulseStream.Storage.Database(source))))
            .ComputeAsync(connection, transaction, data.TenantId, rule, to.AddSeconds(-30), [], 1000, default);
    }

    [Theory]
    [InlineData("1h", "latency_p95")]
    [InlineData("24h", "error_rate")]
    [InlineData("24h", "latency_p99")]
    public async Task A_rule_grouped_by_route_and_method_sees_the_routes_table_values(string window, string metric)
    {
        var routes = await data.GetAsync($"api/v1/routes?window={window}&limit=1000");
        var to = routes.GetProperty("to").GetDateTimeOffset();
        var values = (await RuleValuesAsync(metric, window, to, null, ["route", "method"])).ToDictionary(v => v.GroupKey, v => v.Value);
        var items = routes.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(items.Count, values.Count);
        foreach (var item in items)
        {
            var key = $"route={item.GetProperty("route").GetString()},method={item.GetProperty("method").GetString()}";
            var expected = metric == "error_rate" ? item.GetProperty("errorRate").GetDouble() : item.GetProperty(metric == "latency_p95" ? "p95" : "p99").GetDouble();
            AnalyticsCorrectnessTests.AssertExact(expected, values[key]!.Value);
        }
    }

    [Theory]
    [InlineData("route=/v1/orders&method=GET&consumerId=customer-3")]
    [InlineData("consumerId=customer-9")]
    [InlineData("environment=staging")]
    [InlineData("route=/v1/checkout")]
    public async Task A_filtered_rule_counts_what_the_series_counts_over_the_same_window(string query)
    {
        var series = await data.GetAsync($"api/v1/metrics/timeseries?metric=request_count&window=24h&step=1h&{query}");
        var to = series.GetProperty("to").GetDateTimeOffset();
        var from = series.GetProperty("from").GetDateTimeOffset();
        var parts = query.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var filters = new PulseStream.Alerting.RuleFilters(parts.GetValueOrDefault("route"), parts.GetValueOrDefault("method"),
            parts.GetValueOrDefault("environment"), parts.GetValueOrDefault("consumerId"));
        var count = Assert.Single(await RuleValuesAsync("request_count", "24h", to, filters, []));
        Assert.Equal(series.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("value").GetDouble()), count.Value);

        bool Matches(AnalyticsDataSetFixture.SentEvent e) => e.Ts >= from && e.Ts < to && (filters.Route is null || e.Route == filters.Route)
            && (filters.Method is null || e.Method == filters.Method) && (filters.ConsumerId is null || e.Consumer == filters.ConsumerId)
            && (filters.Environment is null || e.Environment == filters.Environment);
        var events = data.Events.Where(Matches).ToList();
        var errorRate = Assert.Single(await RuleValuesAsync("error_rate", "24h", to, filters, []));
        AnalyticsCorrectnessTests.AssertExact((double)events.Count(e => e.Status >= 500) / events.Count, errorRate.Value!.Value);
        var p50 = Assert.Single(await RuleValuesAsync("latency_p50", "24h", to, filters, []));
        var sorted = events.Select(e => e.Latency).Order().ToArray();
        var exact = sorted[(int)Math.Floor(0.5 * (sorted.Length - 1))];
        Assert.InRange(p50.Value!.Value, exact * 0.99, exact * 1.01);
    }
}
