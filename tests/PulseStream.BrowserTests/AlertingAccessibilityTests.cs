using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>One local host and one browser for the alerting views' accessibility checks.</summary>
public sealed class AlertingAccessibilityHost() : BrowserHost("pulse_ui_alerting_axe");

/// <summary>
/// The Alerts, Rules and Channels views with real content (a firing alert, a rule with its preview, a channel): no
/// serious or critical axe violation, every input labelled, every control reached by Tab, as an Owner and as a Viewer.
/// </summary>
public sealed class AlertingAccessibilityTests(AlertingAccessibilityHost fixture) : IClassFixture<AlertingAccessibilityHost>
{
    private const string Password = "a long password for the browser";
    private LocalHostProcess Host => fixture.Host;

    private async Task<(ProvisionedTenant Tenant, Guid Channel, string RuleId, string AlertId)> FiringTenantAsync()
    {
        var tenant = await fixture.TenantAsync("Browser Axe Alerts Co");
        var channel = (await Provisioning.For(Host).CreateWebhookChannelAsync(tenant.TenantId, "Axe hook", new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId;
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var (status, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner, new
        {
            name = "Axe errors", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.1, window = "5m", minRequests = 1, filters = new { route = "/v1/axe" } },
            // Five minutes and keepState: on a loaded machine the consumer can lag a minute behind, and the alert
            // must stay firing until the keyboard part acknowledges it (a 1-minute window once emptied and resolved it).
            @for = "0s", noData = "keepState", groupWait = "0s", groupInterval = "0s", channelIds = new[] { channel },
        });
        Assert.Equal(HttpStatusCode.Created, status);
        string? alertId = null;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var post = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 5).Select(i => Payloads.Event("/v1/axe", 503, 40 + i))), tenant.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
            var alerts = await Host.GetJsonAsync("api/v1/alerts?state=firing", owner);
            alertId = alerts.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()).FirstOrDefault();
            return alertId is not null;
        }, TimeSpan.FromSeconds(60)), "the rule never fired");
        return (tenant, channel, rule.GetProperty("id").GetString()!, alertId!);
    }

    private static async Task CheckAsync(IPage page, Uri baseUrl, string what, string hash, string ready, string scope)
    {
        await page.GotoAsync(new Uri(baseUrl, "dashboard/" + hash).ToString());
        await Assertions.Expect(page.Locator(ready).First).ToBeVisibleAsync();
        await Accessibility.AssertNoSeriousViolationsAsync(page, what);
        await Accessibility.AssertEveryInputIsLabelledAsync(page, scope, what);
        await Accessibility.AssertEveryControlIsReachableByTabAsync(page, scope, what);
    }

    [Fact]
    public async Task The_alerts_rules_and_channels_views_pass_axe_label_every_input_and_reach_every_action_by_keyboard_for_an_owner_and_a_viewer()
    {
        var (tenant, channel, ruleId, alertId) = await FiringTenantAsync();
        // Errors keep flowing for the whole test: without them the 1-minute window empties and the alert resolves
        // before the keyboard part reaches its Ack button on a loaded machine.
        using var stop = new CancellationTokenSource();
        var poster = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var post = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 5).Select(i => Payloads.Event("/v1/axe", 503, 40 + i))), tenant.ApiKey));
                try { await Task.Delay(2000, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        try
        {
            await CheckEveryViewAsync(tenant, channel, ruleId, alertId);
        }
        finally
        {
            await stop.CancelAsync();
            await poster;
        }
    }

    private async Task CheckEveryViewAsync(ProvisionedTenant tenant, Guid channel, string ruleId, string alertId)
    {
        var owner = await fixture.SignInAsync(tenant, "#/alerts");
        await CheckAsync(owner, Host.BaseUrl, "alerts", "#/alerts", $"#alerts-table tbody tr[data-alert-id='{alertId}']", "#view");
        await CheckAsync(owner, Host.BaseUrl, "alert detail", $"#/alerts?id={alertId}", "#alert-timeline li", "#view");
        await CheckAsync(owner, Host.BaseUrl, "rules", "#/rules", $"#rules-table tbody tr[data-rule-id='{ruleId}']", "#view");
        await CheckAsync(owner, Host.BaseUrl, "rule editor", $"#/rules?id={ruleId}", "#rule-editor", "#view");
        await CheckAsync(owner, Host.BaseUrl, "new rule", "#/rules?id=new", "#rule-editor", "#view");
        await CheckAsync(owner, Host.BaseUrl, "channels", "#/channels", $"#channels-table tbody tr[data-channel-id='{channel}']", "#view");
        await CheckAsync(owner, Host.BaseUrl, "channel", $"#/channels?id={channel}", "#channel-detail", "#view");
        await CheckAsync(owner, Host.BaseUrl, "new channel", "#/channels?id=new", "#channel-form", "#view");

        // Keyboard only: Enter on an alert's link opens its detail, and Acknowledge is a button Space presses. The
        // errors posted meanwhile keep the alert firing, so its Acknowledge button is there.
        await owner.GotoAsync(new Uri(Host.BaseUrl, "dashboard/#/alerts").ToString());
        await owner.Locator($"#alerts-table tbody tr[data-alert-id='{alertId}'] a").FocusAsync();
        await owner.Keyboard.PressAsync("Enter");
        await Assertions.Expect(owner.Locator("#alert-detail")).ToBeVisibleAsync();
        await Assertions.Expect(owner.Locator("#alert-detail .detail-head .state")).ToHaveTextAsync("firing");
        await owner.FocusAsync("#alert-ack");
        await owner.Keyboard.PressAsync(" ");
        await Assertions.Expect(owner.Locator("#alert-acknowledged")).Not.ToHaveTextAsync("—");

        var viewerEmail = await InviteViewerAsync(tenant.OwnerEmail);
        var viewer = await HeadlessChromium.SignInAsync(fixture.Browser, Host.BaseUrl, viewerEmail, Password, "#/alerts");
        await CheckAsync(viewer, Host.BaseUrl, "alerts as a viewer", "#/alerts", $"#alerts-table tbody tr[data-alert-id='{alertId}']", "#view");
        await CheckAsync(viewer, Host.BaseUrl, "rule as a viewer", $"#/rules?id={ruleId}", "#rule-editor", "#view");
    }

    private async Task<string> InviteViewerAsync(string ownerEmail)
    {
        var owner = await Host.LoginAsync(ownerEmail, Password);
        var email = $"viewer-{Guid.NewGuid():N}@example.com";
        var (status, invited) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/users", owner, new { email, role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, status);
        var (accepted, _) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/auth/accept-invite", owner, new { inviteToken = invited.GetProperty("inviteToken").GetString(), password = Password });
        Assert.Equal(HttpStatusCode.OK, accepted);
        return email;
    }
}
