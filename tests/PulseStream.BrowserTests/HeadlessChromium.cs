using Microsoft.Playwright;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

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
}
