using Microsoft.Playwright;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// One local host (with its own database) and one headless Chromium, shared by a test class or collection; each
/// test makes its own tenant, so tests do not see each other's data.
/// </summary>
public abstract class BrowserHost(string database) : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await LocalHostProcess.StartAsync(database);
        (Playwright, Browser) = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Host.DisposeAsync();
    }
}
