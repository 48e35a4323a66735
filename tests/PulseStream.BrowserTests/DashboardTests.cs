using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>The dashboard in headless Chromium (Debian's; Playwright cannot download its own here).</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private LocalHostProcess _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _host = await LocalHostProcess.StartAsync("pulse_ui");
        (_playwright, _browser) = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
    }

    private static long Count(string text) => long.Parse(Regex.Replace(text, "[^0-9]", ""), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_person_logs_in_and_sees_the_request_count_change_when_events_are_posted()
    {
        var page = await _browser.NewPageAsync(new() { ReducedMotion = ReducedMotion.Reduce });
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/").ToString());
        await page.FillAsync("#login-email", _host.Demo.Email);
        await page.FillAsync("#login-password", _host.Demo.Password);
        await page.ClickAsync("#login-submit");

        await Assertions.Expect(page.Locator("#dashboard")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        var before = Count(await page.Locator("#kpi-requests").TextContentAsync() ?? "0");

        using var response = await _host.Http.SendAsync(_host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, 25).Select(i => Payloads.Event("/v1/browser", 200, 20 + i)))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await Assertions.Expect(page.Locator("#kpi-requests")).ToHaveTextAsync((before + 25).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#event-list > *")).ToHaveCountAsync(25, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#event-list")).ToContainTextAsync("/v1/browser");

        // The tenant's effective retention per tier (the defaults: the demo tenant set none of its own).
        await Assertions.Expect(page.Locator("#retention-list > li")).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("#retention-list li[data-tier=raw]")).ToContainTextAsync("14 d");
        await Assertions.Expect(page.Locator("#retention-list li[data-tier=hour]")).ToContainTextAsync("395 d");
        await Assertions.Expect(page.Locator("#retention-list li[data-tier=day]")).ToContainTextAsync("1,827 d");
        await Assertions.Expect(page.Locator("#retention-list li[data-tier=audit]")).ToContainTextAsync("365 d");
    }

    [Fact]
    public async Task A_closed_live_connection_reconnects_with_a_fresh_negotiate_and_a_removed_member_is_sent_to_the_login_screen()
    {
        // A member of the demo tenant, invited by its owner.
        var owner = await _host.LoginAsync();
        var email = $"tab-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        using var invite = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Post, "api/v1/users", owner, new { email, role = "admin" }));
        var invited = await invite.Content.ReadFromJsonAsync<JsonElement>();
        using (var accept = await _host.Http.PostAsJsonAsync("api/v1/auth/accept-invite", new { inviteToken = invited.GetProperty("inviteToken").GetString(), password }))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var memberId = invited.GetProperty("id").GetString();

        var page = await _browser.NewPageAsync(new() { ReducedMotion = ReducedMotion.Reduce });
        var negotiations = 0;
        page.Request += (_, request) => { if (request.Url.EndsWith("/api/negotiate", StringComparison.Ordinal)) Interlocked.Increment(ref negotiations); };
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/").ToString());
        await page.FillAsync("#login-email", email);
        await page.FillAsync("#login-password", password);
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        var before = Volatile.Read(ref negotiations);

        // A role change closes the member's connections; the dashboard negotiates again and is live again.
        using (var demote = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Patch, $"api/v1/users/{memberId}", owner, new { role = "viewer" })))
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref negotiations) > before), TimeSpan.FromSeconds(15)),
            "the dashboard did not negotiate again after its connection was closed");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live", new() { Timeout = 15_000 });
        using (var response = await _host.Http.SendAsync(_host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, 3).Select(i => Payloads.Event("/v1/after-reconnect", 200, 20 + i))))))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Assertions.Expect(page.Locator("#event-list")).ToContainTextAsync("/v1/after-reconnect", new() { Timeout = 15_000 });

        // Removed: the connection closes, negotiate and refresh are refused, and the dashboard shows the login screen.
        using (var remove = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Delete, $"api/v1/users/{memberId}", owner)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        await Assertions.Expect(page.Locator("#login-view")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_wrong_password_shows_an_error_and_keeps_the_dashboard_hidden()
    {
        var page = await _browser.NewPageAsync(new() { ReducedMotion = ReducedMotion.Reduce });
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/").ToString());
        await page.FillAsync("#login-email", _host.Demo.Email);
        await page.FillAsync("#login-password", "not the password");
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("wrong");
        await Assertions.Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
    }
}
