using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// The SLO view in headless Chromium: an owner creates a per-consumer availability SLO in the form, the list shows
/// its attainment and spent budget for the known traffic, its detail shows the budget chart and the breaching
/// consumer first; a viewer reads the same without a button to change anything.
/// </summary>
[Collection(TrafficViewsCollection.Name)]
public sealed class SlosViewTests(TrafficViewsHost fixture)
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task An_owner_creates_a_per_consumer_slo_and_sees_its_budget_and_the_breaching_consumer()
    {
        var tenant = await fixture.TenantAsync("SLO View Co");
        // acme: 90 good, 10 failed; globex: 100 good.
        await OverviewViewTests.PostAsync(Host, tenant.ApiKey,
            Enumerable.Range(0, 90).Select(_ => OverviewViewTests.Event("GET", "/v1/orders", 200, 20))
                .Concat(Enumerable.Range(0, 10).Select(_ => OverviewViewTests.Event("GET", "/v1/orders", 503, 20)))
                .Concat(Enumerable.Range(0, 100).Select(_ => OverviewViewTests.Event("GET", "/v1/orders", 200, 20, consumer: "globex"))));
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == 200, TimeSpan.FromSeconds(30)));

        var page = await fixture.SignInAsync(tenant, "#/slos");
        await page.ClickAsync("#slo-new");
        await page.FillAsync("#slo-name", "Every consumer");
        await page.FillAsync("#slo-objective", "0.99");
        await page.CheckAsync("#slo-per-consumer");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "new slo");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "new slo");
        await page.ClickAsync("#slo-save");

        var row = page.Locator("#slos-table tr[data-slo-id]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("95.000 %");
        await Assertions.Expect(row).ToContainTextAsync("exhausted");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("id="));
        await Assertions.Expect(page.Locator("#slo-attainment")).ToContainTextAsync("breaching");
        await Assertions.Expect(page.Locator("#slo-chart")).ToHaveAttributeAsync("data-points", new Regex("^[1-9]"));
        await Assertions.Expect(page.Locator("#slo-breaching")).ToHaveTextAsync("1 breaching");
        var consumers = page.Locator("#slo-consumers tbody tr");
        await Assertions.Expect(consumers).ToHaveCountAsync(2);
        await Assertions.Expect(consumers.First).ToHaveAttributeAsync("data-consumer", "acme");
        await Assertions.Expect(consumers.First).ToHaveAttributeAsync("data-breaching", "true");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "slo detail");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "slo detail");

        // A viewer reads it all, and has nothing to press that would change it.
        var owner = await Host.LoginAsync(tenant.OwnerEmail, BrowserHost.Password);
        var (status, invite) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/users", owner, new { email = $"v-{Guid.NewGuid():N}@example.com", role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, status);
        using (var accept = await Host.Http.PostAsync("api/v1/auth/accept-invite",
            System.Net.Http.Json.JsonContent.Create(new { inviteToken = invite.GetProperty("inviteToken").GetString(), password = BrowserHost.Password })))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var viewer = await HeadlessChromium.SignInAsync(fixture.Browser, Host.BaseUrl, invite.GetProperty("email").GetString()!, BrowserHost.Password, "#/slos");
        await Assertions.Expect(viewer.Locator("#slos-table tr[data-slo-id]")).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator("#slo-new")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator("#slos-table button")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_owner_makes_an_slos_burn_rate_alerts_and_previews_the_page_in_the_rule_editor()
    {
        var tenant = await fixture.TenantAsync("Burn View Co");
        // 10 % of 200 requests failed against a 99 % objective: a burn of 10, which the page's 6-hour pair (6) catches.
        await OverviewViewTests.PostAsync(Host, tenant.ApiKey,
            Enumerable.Range(0, 180).Select(_ => OverviewViewTests.Event("GET", "/v1/orders", 200, 20))
                .Concat(Enumerable.Range(0, 20).Select(_ => OverviewViewTests.Event("GET", "/v1/orders", 503, 20))));
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == 200, TimeSpan.FromSeconds(30)));
        var owner = await Host.LoginAsync(tenant.OwnerEmail, BrowserHost.Password);
        var (created, slo) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/slos", owner,
            new { name = "Orders", sli = new { type = "availability" }, objective = 0.99, window = "30d" });
        Assert.Equal(HttpStatusCode.Created, created);

        var page = await fixture.SignInAsync(tenant, $"#/slos?id={slo.GetProperty("id").GetString()}");
        await page.ClickAsync("#slo-make-alerts");
        var links = page.Locator("#slo-burn-alerts li a");
        await Assertions.Expect(links).ToHaveCountAsync(2);
        await Assertions.Expect(links.First).ToHaveTextAsync("Orders: fast burn");
        await Assertions.Expect(page.Locator("#slo-make-alerts")).ToHaveCountAsync(0);

        await links.First.ClickAsync();
        await Assertions.Expect(page.Locator("#rule-type")).ToHaveValueAsync("burn_rate");
        await Assertions.Expect(page.Locator("#rule-sloId")).ToHaveValueAsync(slo.GetProperty("id").GetString()!);
        await Assertions.Expect(page.Locator("#rule-level")).ToHaveValueAsync("page");
        await Assertions.Expect(page.Locator("#rule-burn-note")).ToContainTextAsync("14.4× the sustainable burn over 1 h and 5 min");
        // Threshold fields have no meaning for a burn rate and are not offered.
        await Assertions.Expect(page.Locator("#rule-metric")).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "burn-rate rule editor");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "burn-rate rule editor");

        await page.ClickAsync("#rule-preview");
        var firing = page.Locator("#rule-preview-result li[data-state=firing]");
        await Assertions.Expect(firing).ToHaveCountAsync(1);
        await Assertions.Expect(firing).ToContainTextAsync("still");
        await Assertions.Expect(page.Locator("#rule-preview-result")).ToContainTextAsync("last 1.67");
    }
    [Fact]
    public async Task An_owner_makes_an_anomaly_rule_sees_the_warm_up_stated_and_previews_its_band()
    {
        var tenant = await fixture.TenantAsync("Anomaly View Co");
        // Four days of one request every two minutes on /v1/orders, until 16 minutes ago: a daily baseline (not yet a weekly one).
        var now = DateTimeOffset.UtcNow;
        var history = Enumerable.Range(8, 4 * 24 * 30).Select(k => new
        {
            timestamp = now.AddMinutes(-2 * k).ToString("O"), method = "GET", path = "/v1/orders", route = "/v1/orders", statusCode = 200, latencyMs = 20.0,
        }).ToList();
        foreach (var batch in history.Chunk(1000)) await OverviewViewTests.PostAsync(Host, tenant.ApiKey, batch);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.StoredEventCountAsync(tenant.TenantId) == history.Count, TimeSpan.FromSeconds(30)));

        var page = await fixture.SignInAsync(tenant, "#/rules");
        await page.ClickAsync("#rule-new");
        await page.FillAsync("#rule-name", "Orders traffic");
        await page.SelectOptionAsync("#rule-type", "anomaly");
        await page.SelectOptionAsync("#rule-metric", "request_count");
        await page.SelectOptionAsync("#rule-sensitivity", "high");
        await page.SelectOptionAsync("#rule-direction", "below");
        await page.FillAsync("#rule-route", "/v1/orders");
        await page.FillAsync("#rule-window", "10m");
        await page.FillAsync("#rule-for", "0s");
        await Assertions.Expect(page.Locator("#rule-anomaly-note")).ToContainTextAsync("3 days of history");
        await Assertions.Expect(page.Locator("#rule-anomaly-note")).ToContainTextAsync("after 3 weeks");
        // A static threshold has no meaning here: only the fallback's.
        await Assertions.Expect(page.Locator("#rule-threshold")).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(page, "anomaly rule editor");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "anomaly rule editor");

        // The last ten minutes had no requests: below the band, so the preview would fire now.
        await page.ClickAsync("#rule-preview");
        await Assertions.Expect(page.Locator("#preview-chart figcaption")).ToContainTextAsync("all traffic in its band", new() { Timeout = 20_000 });
        await Assertions.Expect(page.Locator("#preview-chart-text")).ToContainTextAsync("daily baseline");
        await Assertions.Expect(page.Locator("#rule-preview-result li[data-state=firing]")).ToContainTextAsync("still");

        await page.ClickAsync("#rule-save");
        var row = page.Locator("#rules-table tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("request_count anomaly (below, high) over 10m");

        // Saved, it fires on the silence, and its alert says why: below its band, against the same ten minutes on the
        // three days before, all of the drop in requests without a consumer (read from raw events: one route's consumers).
        await page.GotoAsync(new Uri(Host.BaseUrl, "dashboard/#/alerts").ToString());
        var alert = page.Locator("#alerts-table tbody tr");
        await Assertions.Expect(alert).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await alert.Locator("a").First.ClickAsync();
        var band = page.Locator("#alert-explanation-band");
        await Assertions.Expect(band).ToContainTextAsync("observed 0, expected 5");
        await Assertions.Expect(band).ToContainTextAsync("σ below, judged against its daily baseline");
        await Assertions.Expect(page.Locator("#alert-explanation-comparison")).ToContainTextAsync("same 10 minutes on the 3 previous days: requests 5 → 0 (−5)");
        var contributor = page.Locator("#alert-contributors tbody tr");
        await Assertions.Expect(contributor).ToHaveCountAsync(1);
        await Assertions.Expect(contributor).ToContainTextAsync("requests without a consumer");
        await Assertions.Expect(contributor).ToContainTextAsync("100.00 %");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "anomaly alert detail");

        // The rule's page shows its one group's warm-up: judged by the hour of the day now, by the hour of the week
        // from a date (its 21st day of history).
        await page.GotoAsync(new Uri(Host.BaseUrl, "dashboard/#/rules").ToString());
        await page.Locator("#rules-table tbody tr").First.ClickAsync();
        var baseline = page.Locator("#rule-baselines-table tbody tr");
        await Assertions.Expect(baseline).ToHaveCountAsync(1);
        await Assertions.Expect(baseline).ToHaveAttributeAsync("data-status", "daily");
        await Assertions.Expect(baseline).ToContainTextAsync("all traffic");
        await Assertions.Expect(baseline).ToContainTextAsync("daily baseline (hour of the day)");
        await Assertions.Expect(baseline.Locator("td").Nth(3)).ToHaveTextAsync("ready");
        await Assertions.Expect(baseline.Locator("td").Nth(4)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d{4}-\d{2}-\d{2} "));
        await Assertions.Expect(page.Locator("#rule-baselines-note")).ToContainTextAsync("after 3 weeks");
    }
}
