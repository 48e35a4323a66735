using Microsoft.Playwright;

namespace PulseStream.Testing;

/// <summary>Debian's chromium, headless, as every browser test drives it (Playwright cannot download its own here).</summary>
public static class HeadlessChromium
{
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        // 15 s rather than Playwright's 5 s for each expectation: the tests share two cores with the host and its database.
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return (playwright, browser);
    }

    /// <summary>
    /// Opens the dashboard at <paramref name="hash"/> in a tab of its own (its own sessionStorage, so its own session)
    /// and signs in; answers once the navigation shows.
    /// </summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, Uri baseUrl, string email, string password, string hash = "", string? timeZone = null)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 }, TimezoneId = timeZone });
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await page.GotoAsync(new Uri(baseUrl, "dashboard/" + hash).ToString());
        await page.FillAsync("#login-email", email);
        await page.FillAsync("#login-password", password);
        await page.ClickAsync("#login-submit");
        // Signing in hashes the password: seconds on a loaded machine.
        await Assertions.Expect(page.Locator("#nav")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return page;
    }
}
