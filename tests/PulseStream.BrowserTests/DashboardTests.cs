using System.Net;
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
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
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
        var page = await _browser.NewPageAsync();
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
    }

    [Fact]
    public async Task A_wrong_password_shows_an_error_and_keeps_the_dashboard_hidden()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/").ToString());
        await page.FillAsync("#login-email", _host.Demo.Email);
        await page.FillAsync("#login-password", "not the password");
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("wrong");
        await Assertions.Expect(page.Locator("#dashboard")).ToBeHiddenAsync();
    }
}
