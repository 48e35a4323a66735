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
}
