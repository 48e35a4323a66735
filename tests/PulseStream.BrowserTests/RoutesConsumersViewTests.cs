using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// The Routes and Consumers views in headless Chromium: the tables count the known mix, sort by a clicked column
/// (kept in the URL), and lead to a route's and a consumer's page with its figures, status classes, top list and
/// recent events.
/// </summary>
[Collection(TrafficViewsCollection.Name)]
public sealed class RoutesConsumersViewTests(TrafficViewsHost fixture)
{
    private const string Password = BrowserHost.Password;
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task The_routes_table_sorts_and_opens_a_route_page_which_leads_to_a_consumer_page()
    {
        var tenant = await fixture.TenantAsync("Routes Co");
        await OverviewViewTests.PostAsync(Host, tenant.ApiKey, OverviewViewTests.KnownMix());
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            (await Host.GetJsonAsync("api/v1/dashboard/overview?window=1h", owner)).GetProperty("totals").GetProperty("requests").GetInt64() == 300, TimeSpan.FromSeconds(30)));

        var page = await fixture.SignInAsync(tenant, "#/routes?window=1h");
        var rows = page.Locator("#routes-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-key", "GET /v1/orders");
        await Assertions.Expect(rows.First.Locator("[data-figure=requests]")).ToHaveTextAsync("260");
        await Assertions.Expect(rows.First.Locator("svg.spark")).ToHaveCountAsync(1);

        // Sorting by errors puts the failing checkout first, and the sort is in the URL.
        await page.ClickAsync("#routes-table th button[data-sort=errorRate]");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("sort=errorRate"));
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-key", "POST /v1/checkout");
        await Assertions.Expect(rows.First.Locator("[data-figure=errorRate]")).ToHaveTextAsync("100.00 %");
        await Assertions.Expect(page.Locator("#routes-table th[aria-sort=descending]")).ToContainTextAsync("Errors");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "routes");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "routes");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "routes");

        // The route's page.
        await rows.Nth(1).Locator("a").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("route=%2Fv1%2Forders.*method=GET|method=GET.*route=%2Fv1%2Forders"));
        await Assertions.Expect(page.Locator("#route-title")).ToContainTextAsync("/v1/orders");
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("260");
        await Assertions.Expect(page.Locator("#route-status-legend li[data-class='4xx'] .lg-value")).ToHaveTextAsync("60");
        await Assertions.Expect(page.Locator("#route-chart-requests")).ToHaveAttributeAsync("data-sum", "260");
        await Assertions.Expect(page.Locator("#top-consumers tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#top-consumers tbody tr").First).ToContainTextAsync("acme");
        await Assertions.Expect(page.Locator("#top-consumers tbody tr").First).ToContainTextAsync("210");
        await Assertions.Expect(page.Locator("#route-events tr")).ToHaveCountAsync(20);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "route page");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "route page");

        // Follow one consumer.
        await page.Locator("#top-consumers a", new() { HasText = "globex" }).ClickAsync();
        await Assertions.Expect(page.Locator("#consumer-title")).ToContainTextAsync("globex");
        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync("50");
        await Assertions.Expect(page.Locator("#top-routes tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#consumer-events tr").First).ToContainTextAsync("globex");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "consumer page");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "consumer page");
        await page.ClickAsync("#consumer-back");
        await Assertions.Expect(page.Locator("#consumers-table tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#consumers-table tbody tr").First).ToHaveAttributeAsync("data-key", "acme");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "consumers");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "consumers");
    }
}
