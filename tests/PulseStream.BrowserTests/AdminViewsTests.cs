using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// The administration views in headless Chromium: an Owner creates a key (shown once), uses it, revokes it, and finds
/// both changes in the audit log; invites a member and changes their role; sets a tier's retention; sees the limits
/// and open dashboards. A Viewer sees none of the admin tabs and no button that would answer 403.
/// </summary>
[Collection(TrafficViewsCollection.Name)]
public sealed class AdminViewsTests(TrafficViewsHost fixture)
{
    private const string Password = BrowserHost.Password;
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task An_owner_creates_uses_and_revokes_a_key_and_finds_both_in_the_audit_log()
    {
        var tenant = await fixture.TenantAsync("Keys Co");
        var page = await fixture.SignInAsync(tenant, "#/keys");
        await page.FillAsync("#key-name", "browser key");
        await page.ClickAsync("#key-create");
        var shown = page.Locator("#key-created-value");
        await Assertions.Expect(shown).ToHaveValueAsync(new Regex("^ps"));
        var key = await shown.InputValueAsync();
        await page.ClickAsync("#key-created-copy");
        var row = page.Locator("#keys-table tr", new() { HasText = "browser key" });
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "active");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "api keys");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "api keys");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "api keys");

        // The key works, until it is revoked.
        using (var accepted = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event("/v1/key-test"), key)))
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await row.Locator("button", new() { HasText = "Revoke" }).ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "revoked");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var refused = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event("/v1/key-test"), key));
            return refused.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(60)), "the revoked key was still accepted");

        // Both changes are in the audit log, and the filter keeps only the one asked for.
        await page.ClickAsync("#nav a[data-view=audit]");
        await Assertions.Expect(page.Locator("#audit-table tr[data-action='api_key.create']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit-table tr[data-action='api_key.revoke']")).ToHaveCountAsync(1);
        await page.FillAsync("#audit-action", "api_key.revoke");
        await page.PressAsync("#audit-action", "Enter");
        await page.Locator("#audit-action").BlurAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("action=api_key.revoke"));
        await Assertions.Expect(page.Locator("#audit-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit-table tbody tr")).ToContainTextAsync("browser key");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "audit");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "audit");
    }

    [Fact]
    public async Task An_owner_manages_members_and_retention_and_a_viewer_sees_no_admin_tab_or_button()
    {
        var tenant = await fixture.TenantAsync("Members Co");
        var page = await fixture.SignInAsync(tenant, "#/members");
        var email = $"viewer-{Guid.NewGuid():N}@example.com";
        await page.FillAsync("#invite-email", email);
        await page.SelectOptionAsync("#invite-role", "admin");
        await page.ClickAsync("#invite-send");
        await Assertions.Expect(page.Locator("#invite-created-value")).ToHaveValueAsync(new Regex("^psi_"));
        var token = await page.Locator("#invite-created-value").InputValueAsync();
        var member = page.Locator($"#members-table tr[data-email='{email}']");
        await Assertions.Expect(member).ToContainTextAsync("invited");
        await member.Locator("select").SelectOptionAsync("viewer");
        await Assertions.Expect(member.Locator("select")).ToHaveValueAsync("viewer");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "members");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "members");

        // Retention: an owner sets the raw tier; the change is kept.
        await page.ClickAsync("#nav a[data-view=settings]");
        await page.FillAsync("#retention-raw", "7");
        await page.ClickAsync("#retention-save");
        await Assertions.Expect(page.Locator("#retention-saved")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#retention-form tr[data-tier=raw]")).ToContainTextAsync("custom");
        await Assertions.Expect(page.Locator("#limit-rate")).ToContainTextAsync("10,000");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "settings");
        await Accessibility.AssertEveryInputIsLabelledAsync(page, "#view", "settings");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "settings");

        // Connections: this page's own dashboard is open.
        await page.ClickAsync("#nav a[data-view=connections]");
        await Assertions.Expect(page.Locator("#connections-table tr[data-email]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#connections-total")).ToContainTextAsync("1 open");
        await Accessibility.AssertNoSeriousViolationsAsync(page, "connections");
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, "#view", "connections");

        // An admin manages keys and reads members, but only an owner acts on members or retention.
        var adminEmail = $"admin-{Guid.NewGuid():N}@example.com";
        await page.ClickAsync("#nav a[data-view=members]");
        await page.FillAsync("#invite-email", adminEmail);
        await page.SelectOptionAsync("#invite-role", "admin");
        await page.ClickAsync("#invite-send");
        await Assertions.Expect(page.Locator("#invite-created-value")).ToHaveValueAsync(new Regex("^psi_"));
        using (var acceptAdmin = await Host.Http.PostAsync("api/v1/auth/accept-invite",
            System.Net.Http.Json.JsonContent.Create(new { inviteToken = await page.Locator("#invite-created-value").InputValueAsync(), password = Password })))
            Assert.Equal(HttpStatusCode.OK, acceptAdmin.StatusCode);
        var admin = await HeadlessChromium.SignInAsync(fixture.Browser, Host.BaseUrl, adminEmail, Password, "#/members");
        await Assertions.Expect(admin.Locator("#members-table tr[data-email]")).ToHaveCountAsync(3);
        await Assertions.Expect(admin.Locator("#invite-form")).ToHaveCountAsync(0);
        await Assertions.Expect(admin.Locator("#members-table button, #members-table select")).ToHaveCountAsync(0);
        await admin.ClickAsync("#nav a[data-view=keys]");
        await Assertions.Expect(admin.Locator("#key-create")).ToBeVisibleAsync();
        await admin.ClickAsync("#nav a[data-view=settings]");
        await Assertions.Expect(admin.Locator("#retention-save")).ToHaveCountAsync(0);
        await Assertions.Expect(admin.Locator("#nav a[data-view=connections]")).ToHaveCountAsync(1);

        // The invited member accepts as a viewer: no admin tab, no acting button, settings read-only.
        using (var accept = await Host.Http.PostAsync("api/v1/auth/accept-invite",
            System.Net.Http.Json.JsonContent.Create(new { inviteToken = token, password = Password })))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var viewer = await HeadlessChromium.SignInAsync(fixture.Browser, Host.BaseUrl, email, Password, "#/settings");
        var refused = new List<string>();
        viewer.Response += (_, response) => { if (response.Status == 403) lock (refused) refused.Add(response.Url); };
        foreach (var tab in new[] { "keys", "members", "audit", "connections", "channels", "escalation", "silences" })
            await Assertions.Expect(viewer.Locator($"#nav a[data-view={tab}]")).ToHaveCountAsync(0);
        foreach (var tab in new[] { "overview", "routes", "consumers", "live", "alerts", "rules", "maintenance", "settings" })
            await Assertions.Expect(viewer.Locator($"#nav a[data-view={tab}]")).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator("#retention-raw")).ToHaveTextAsync("7");
        await Assertions.Expect(viewer.Locator("#retention-save")).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(viewer, "settings as a viewer");

        // Every view a viewer has a tab for opens without an error, and nothing it asks for is refused.
        foreach (var tab in new[] { "overview", "routes", "consumers", "live", "alerts", "rules", "maintenance", "settings" })
        {
            await viewer.ClickAsync($"#nav a[data-view={tab}]");
            await Assertions.Expect(viewer.Locator("#view")).ToHaveAttributeAsync("data-view", tab);
            await Assertions.Expect(viewer.Locator("#view [data-state=loading]")).ToHaveCountAsync(0);
            await Assertions.Expect(viewer.Locator("#view [data-state=error]")).ToHaveCountAsync(0);
        }
        Assert.Empty(refused);
    }
}
