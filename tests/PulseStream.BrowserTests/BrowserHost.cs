using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// One local host (with its own database) and one headless Chromium, shared by a test class or collection; each
/// test makes its own tenant, so tests do not see each other's data.
/// </summary>
public abstract class BrowserHost(string database) : IAsyncLifetime
{
    public const string Password = "a long password for the browser";

    public LocalHostProcess Host { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await LocalHostProcess.StartAsync(database);
        (Playwright, Browser) = await HeadlessChromium.LaunchAsync();
    }

    /// <summary>A new tenant whose owner's password is <see cref="Password"/>.</summary>
    public Task<ProvisionedTenant> TenantAsync(string name) =>
        Provisioning.For(Host).CreateTenantAsync(name, $"ui-{Guid.NewGuid():N}@example.com", Password, default);

    /// <summary>The tenant's owner signed in, in a tab of its own, at <paramref name="hash"/>.</summary>
    public Task<IPage> SignInAsync(ProvisionedTenant tenant, string hash) =>
        HeadlessChromium.SignInAsync(Browser, Host.BaseUrl, tenant.OwnerEmail, Password, hash);

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Host.DisposeAsync();
    }
}
