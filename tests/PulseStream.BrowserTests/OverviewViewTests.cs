using System.Net;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>One local host and one browser for the traffic and administration views; each test makes its own tenant.</summary>
public sealed class TrafficViewsHost() : BrowserHost("pulse_ui_traffic");

[CollectionDefinition(Name)]
public sealed class TrafficViewsCollection : ICollectionFixture<TrafficViewsHost>
{
    public const string Name = "traffic views";
}

/// <summary>
/// The overview in headless Chromium: a known mix of traffic, 5xx included, shows in every panel (tiles, charts,
/// status classes, top routes) within one refresh, the panels agree with one another, and the window and
/// environment pickers change all of them together and are kept in the URL.
/// </summary>
[Collection(TrafficViewsCollection.Name)]
public sealed class OverviewViewTests(TrafficViewsHost fixture)
{
    private const string Password = BrowserHost.Password;
    private LocalHostProcess Host => fixture.Host;

    internal static object Event(string method, string route, int status, double latency, string environment = "production", string consumer = "acme") => new
    {
        timestamp = DateTimeOffset.UtcNow.ToString("O"), method, path = route, route, statusCode = status, latencyMs = latency,
        consumerId = consumer, environment, requestBytes = 100, responseBytes = 1000,
    };

    /// <summary>
    /// 300 events: 200 GET /v1/orders answered 200 (50 of them in staging), 60 GET /v1/orders answered 404 and 40
    /// POST /v1/checkout answered 503.
    /// </summary>
    internal static IEnumerable<object> KnownMix() =>
        Enumerable.Range(0, 150).Select(i => Event("GET", "/v1/orders", 200, 20 + i % 10))
            .Concat(Enumerable.Range(0, 50).Select(i => Event("GET", "/v1/orders", 200, 20, "staging", "globex")))
            .Concat(Enumerable.Range(0, 60).Select(i => Event("GET", "/v1/orders", 404, 5)))
            .Concat(Enumerable.Range(0, 40).Select(i => Event("POST", "/v1/checkout", 503, 300 + i)));

    internal static async Task PostAsync(LocalHostProcess host, string apiKey, IEnumerable<object> events)
    {
        using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(events), apiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task A_known_mix_shows_in_every_panel_within_one_refresh_and_the_pickers_change_them_together()
    {
        var tenant = await fixture.TenantAsync("Overview Co");
        var page = await fixture.SignInAsync(tenant, "#/overview?window=1h");
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("0");
        await Assertions.Expect(page.Locator("#top-routes-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });

        await PostAsync(Host, tenant.ApiKey, KnownMix());

        // One refresh: the live events trigger a reload of the whole snapshot.
        var refresh = new LocatorAssertionsToHaveTextOptions { Timeout = 20_000 };
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("300", refresh);
        await Assertions.Expect(page.Locator("#kpi-error-rate")).ToHaveTextAsync("13.33 %");
        await Assertions.Expect(page.Locator("#kpi-error-rate-sub")).ToHaveTextAsync("60 4xx · 40 5xx");
        await Assertions.Expect(page.Locator("#status-classes-legend li[data-class='2xx'] .lg-value")).ToHaveTextAsync("200");
        await Assertions.Expect(page.Locator("#status-classes-legend li[data-class='4xx'] .lg-value")).ToHaveTextAsync("60");
        await Assertions.Expect(page.Locator("#status-classes-legend li[data-class='5xx'] .lg-value")).ToHaveTextAsync("40");
        await Assertions.Expect(page.Locator("#chart-requests")).ToHaveAttributeAsync("data-sum", "300");
        await Assertions.Expect(page.Locator("#chart-error-rate-text")).ToContainTextAsync("%");
        var orders = page.Locator("#top-routes tr[data-route='/v1/orders'][data-method='GET']");
        await Assertions.Expect(orders).ToContainTextAsync("260");
        var checkout = page.Locator("#top-routes tr[data-route='/v1/checkout'][data-method='POST']");
        await Assertions.Expect(checkout).ToContainTextAsync("40");
        await Assertions.Expect(checkout).ToContainTextAsync("100.00 %");
        await Assertions.Expect(page.Locator("#event-list tr")).ToHaveCountAsync(200);
        await Assertions.Expect(page.Locator("#event-list tr[data-status='503']").First).ToBeVisibleAsync();

        // The environment picker lists what the window has and narrows every panel at once.
        await Assertions.Expect(page.Locator("#overview-env option", new() { HasText = "staging" })).ToHaveCountAsync(1);
        await page.SelectOptionAsync("#overview-env", "staging");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("env=staging"));
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("50", refresh);
        await Assertions.Expect(page.Locator("#kpi-error-rate")).ToHaveTextAsync("0.00 %");
        await Assertions.Expect(page.Locator("#chart-requests")).ToHaveAttributeAsync("data-sum", "50");
        await Assertions.Expect(page.Locator("#top-routes tr")).ToHaveCountAsync(1);

        // A wider window keeps the filter, and a reload of the link shows the same.
        await page.SelectOptionAsync("#overview-window", "24h");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("window=24h"));
        await Assertions.Expect(page.Locator("#view-overview h1")).ToContainTextAsync("Last 24 hours");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("50", refresh);
        await Assertions.Expect(page.Locator("#overview-env")).ToHaveValueAsync("staging");
        await Assertions.Expect(page.Locator("#overview-window")).ToHaveValueAsync("24h");

        await Accessibility.AssertNoSeriousViolationsAsync(page, "overview");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "overview");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "overview");
    }
    [Fact]
    public async Task The_insights_panel_names_what_changed_against_the_previous_days_and_links_to_each_route_and_consumer()
    {
        var tenant = await fixture.TenantAsync("Insights UI");
        await Host.StoreEventsAsync(tenant.ApiKey, tenant.TenantId, InsightsScenario.Traffic(InsightsScenario.MinuteOf(DateTimeOffset.UtcNow)));
        var page = await fixture.SignInAsync(tenant, "#/overview?window=1h");

        await Assertions.Expect(page.Locator("#insights-compared")).ToHaveTextAsync("last hour against the same hour on the 3 previous days with traffic");
        await Assertions.Expect(page.Locator("#insights-error_rate .insight-total")).ToHaveTextAsync("API error rate (5xx): 0.00 % → 33.33 % (+33.33 %)");
        var bob = page.Locator("#insights-error_rate li[data-dimension='consumerId'][data-value='bob']");
        await Assertions.Expect(bob).ToContainTextAsync("0.00 % → 100.00 %");
        await Assertions.Expect(bob).ToContainTextAsync("+33.33 % on the API (100.00 % of the change)");
        await Assertions.Expect(page.Locator("#insights-error_rate li[data-dimension='route'][data-value='/b']")).ToContainTextAsync("0.00 % → 100.00 %");
        var slow = page.Locator("#insights-latency_avg li[data-dimension='route'][data-value='/a']");
        await Assertions.Expect(slow).ToContainTextAsync("20 ms → 80 ms");
        await Assertions.Expect(slow).ToContainTextAsync("+16.67 ms on the API");
        // /c is new traffic, and new latency; /b's latency held, so it is no change of its own.
        await Assertions.Expect(page.Locator("#insights-request_count li[data-dimension='route'][data-value='/c']")).ToContainTextAsync("0 → ");
        await Assertions.Expect(page.Locator("#insights-latency_avg li[data-dimension='route'][data-value='/c']")).ToContainTextAsync("new → 20 ms");
        await Assertions.Expect(page.Locator("#insights-latency_avg li[data-value='/b']")).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "overview insights");

        await slow.Locator("a").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"#/routes\?route=%2Fa&method=GET&window=1h$"));
        await Assertions.Expect(page.Locator("#route-title")).ToContainTextAsync("/a");
        await page.GoBackAsync();
        await bob.Locator("a").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"#/consumers\?consumer=bob&window=1h$"));
        await Assertions.Expect(page.Locator("#consumer-title")).ToContainTextAsync("bob");
    }
}
