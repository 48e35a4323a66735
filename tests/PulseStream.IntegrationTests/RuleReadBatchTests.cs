using System.Globalization;
using System.Net;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Events.Segments;
using PulseStream.Metrics;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Rules evaluated together from one rollup read (<see cref="RuleReadBatch"/>) get the same groups, in the same order,
/// with the same values and request counts, as each rule read alone (<see cref="RuleMetricQuery"/>): every metric,
/// windows from 1 minute to 24 hours, filters on each dimension, groupings by each, open alerts and a group bound.
/// </summary>
public class RuleReadBatchTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task Rules_read_together_get_exactly_what_each_gets_alone()
    {
        var tenant = await NoisyTenantScenario.CreateTenantAsync(Host, "Batched reads");
        var random = new Random(1212);
        var now = DateTimeOffset.UtcNow;
        string[] routes = ["/v1/orders", "/v1/orders/{id}", "/v1/checkout", "/v1/search"];
        var events = Enumerable.Range(0, 3000).Select(i => new
        {
            // Half in the last 10 minutes, the rest over the last 20 hours.
            timestamp = (now - (i % 2 == 0 ? TimeSpan.FromSeconds(random.Next(0, 600)) : TimeSpan.FromSeconds(random.Next(0, 20 * 3600))))
                .ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            method = i % 4 == 0 ? "POST" : "GET",
            path = "/v1/x",
            route = routes[random.Next(routes.Length)],
            statusCode = random.Next(100) switch { < 8 => 503, < 15 => 404, _ => 200 },
            latencyMs = Math.Round(Math.Exp(3 + random.NextDouble() * 2), 3),
            consumerId = $"customer-{random.Next(12)}",
            environment = i % 5 == 0 ? "staging" : "production",
        }).ToList();
        foreach (var chunk in events.Chunk(1000))
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new { events = chunk }, tenant.Tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(60)), Host.Output);

        (RuleFilters? Filters, string[]? GroupBy)[] shapes =
        [
            (null, null), (null, ["route"]), (null, ["consumerId"]), (null, ["route", "method"]), (null, ["environment"]), (null, ["method", "environment"]),
            (new RuleFilters(Route: "/v1/checkout"), null), (new RuleFilters(Method: "post"), ["route"]), (new RuleFilters(Environment: "staging"), ["consumerId"]),
            (new RuleFilters(ConsumerId: "customer-3"), null), (new RuleFilters(Route: "/v1/orders", Environment: "production"), ["method"]),
            (new RuleFilters(Route: "/v1/none"), null),
        ];
        var rules = (from metric in AlertRuleValidator.Metrics
                     from window in new[] { "1m", "5m", "1h", "24h" }
                     from shape in shapes
                     select new AlertRule(Guid.NewGuid(), new AlertRuleBody($"{metric} {window}", true, "info",
                         new RuleCondition("threshold", metric, ">", 1, window, shape.Filters, shape.GroupBy), "0s", null, null), now, now)).ToList();

        await using var dataSource = NpgsqlDataSource.Create(Host.AppConnectionString);
        var database = new Database(dataSource);
        var alone = new RuleMetricQuery(new RawEventRollup(new SegmentEventStore(database)));
        var at = DateTimeOffset.UtcNow;
        foreach (var (open, limit) in new[] { (false, 1001), (true, 3) })
        {
            var expected = new Dictionary<Guid, List<GroupValue>>();
            var openGroups = new Dictionary<Guid, IReadOnlyCollection<string>>();
            foreach (var rule in rules)
            {
                // With open alerts: the quietest group, and one without data, must come first.
                var all = await database.ForTenantAsync(tenant.TenantId, (c, t) => alone.ComputeAsync(c, t, tenant.TenantId, rule, at, [], 1001, default), default);
                openGroups[rule.Id] = open && all.Count > 0 ? [all[^1].GroupKey, "route=/v1/gone"] : [];
                expected[rule.Id] = await database.ForTenantAsync(tenant.TenantId, (c, t) => alone.ComputeAsync(c, t, tenant.TenantId, rule, at, openGroups[rule.Id], limit, default), default);
            }
            Assert.Contains(expected.Values, v => v.Count > 1);
            foreach (var batch in rules.GroupBy(RuleReadBatch.KeyOf))
            {
                var answers = await database.ForTenantAsync(tenant.TenantId, (c, t) =>
                    RuleReadBatch.ComputeAsync(c, t, tenant.TenantId, batch.Key!, batch.ToList(), at, openGroups, limit, default), default);
                foreach (var rule in batch)
                {
                    var want = expected[rule.Id];
                    var got = answers[rule.Id];
                    var what = $"{rule.Body.Condition.Metric} {rule.Body.Condition.Window} filters {rule.Body.Condition.Filters} by {string.Join('+', rule.Body.Condition.GroupBy ?? [])}";
                    Assert.True(want.Select(g => (g.GroupKey, g.Requests)).SequenceEqual(got.Select(g => (g.GroupKey, g.Requests))),
                        $"{what}: {string.Join(" ", want.Select(g => $"{g.GroupKey}:{g.Requests}"))} vs {string.Join(" ", got.Select(g => $"{g.GroupKey}:{g.Requests}"))}");
                    foreach (var (w, g) in want.Zip(got))
                    {
                        Assert.Equal(w.Value is null, g.Value is null);
                        // Latency sums may be added in another order: equal up to floating-point rounding.
                        if (w.Value is { } value) Assert.True(Math.Abs(value - g.Value!.Value) <= 1e-9 * Math.Max(1, Math.Abs(value)), $"{what}, {w.GroupKey}: {value} vs {g.Value}");
                    }
                }
            }
        }
    }
}
