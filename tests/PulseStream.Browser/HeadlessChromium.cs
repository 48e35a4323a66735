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
    /// <remarks>
    /// Tabs ask for reduced motion, which the dashboard honours by stopping its animations: the live dot's endless
    /// pulse kept Chromium's compositor drawing frames in every open tab, which cost the browser tests most of their
    /// CPU time (the GPU process alone: 12.7 s of CPU against 1.0 s in the overview tests) and starved the hosts
    /// running beside them.
    /// </remarks>
    public static async Task<IPage> SignInAsync(IBrowser browser, Uri baseUrl, string email, string password, string hash = "", string? timeZone = null)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1500, Height = 1000 }, TimezoneId = timeZone, ReducedMotion = ReducedMotion.Reduce,
        });
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
