using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>One local host and one browser for the incident-routing views' tests (each test makes its own tenant).</summary>
public sealed class IncidentRoutingHost() : BrowserHost("pulse_ui_routing");

/// <summary>
/// The dashboard's incident-routing views in headless Chromium against a real local host: escalation policies made
/// step by step in the UI and listed with their steps, what a Viewer may not do, the rule editor's flap-control and
/// no-data fields saved and read back, the flapping badge, and accessibility (axe, labels, keyboard) of the
/// Silences, Maintenance and Escalation views.
/// </summary>
public sealed class IncidentRoutingViewsTests(IncidentRoutingHost fixture) : IClassFixture<IncidentRoutingHost>
{
    private const string Password = "a long password for the browser";
    private LocalHostProcess Host => fixture.Host;

    private Task<IPage> SignInAsync(string email, string hash = "") => HeadlessChromium.SignInAsync(fixture.Browser, Host.BaseUrl, email, Password, hash);

    private async Task<ProvisionedTenant> NewTenantAsync(string name) =>
        await Provisioning.For(Host).CreateTenantAsync(name, $"ui-{Guid.NewGuid():N}@example.com", Password, default);

    private async Task<string> InviteViewerAsync(string ownerEmail)
    {
        var owner = await Host.LoginAsync(ownerEmail, Password);
        var email = $"viewer-{Guid.NewGuid():N}@example.com";
        using var invite = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/users", owner, new { email, role = "viewer" }));
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var invited = await invite.Content.ReadFromJsonAsync<JsonElement>();
        using var accept = await Host.Http.PostAsJsonAsync("api/v1/auth/accept-invite", new { inviteToken = invited.GetProperty("inviteToken").GetString(), password = Password });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        return email;
    }

    private async Task<JsonElement> PostAsync(string token, string path, object body)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, path, token, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<Guid> NewChannelAsync(ProvisionedTenant tenant, string name) =>
        (await Provisioning.For(Host).CreateWebhookChannelAsync(tenant.TenantId, name, new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default)).ChannelId;

    [Fact]
    public async Task An_admin_creates_an_escalation_policy_with_two_steps_sees_it_listed_with_its_steps_edits_and_deletes_it_and_a_viewer_has_no_create_button()
    {
        var tenant = await NewTenantAsync("Browser Escalation Co");
        await NewChannelAsync(tenant, "Ops hook");
        var page = await SignInAsync(tenant.OwnerEmail, "#/overview");
        await page.ClickAsync("#nav a[data-view=escalation]");
        await Assertions.Expect(page.Locator("#view-escalation [data-state=empty]")).ToBeVisibleAsync();

        // Two steps: the channel after 5 minutes, then the owner by e-mail; the second's delay is refused by the API at first.
        await page.ClickAsync("#escalation-new");
        await page.FillAsync("#escalation-name", "Checkout on-call");
        var first = page.Locator("#escalation-steps .escalation-step[data-step='0']");
        await first.Locator(".step-delay").FillAsync("5m");
        await first.Locator(".step-channels label", new() { HasText = "Ops hook" }).Locator("input").CheckAsync();
        await page.ClickAsync("#escalation-add-step");
        var second = page.Locator("#escalation-steps .escalation-step[data-step='1']");
        await second.Locator(".step-delay").FillAsync("90s");
        await second.Locator(".step-members label", new() { HasText = tenant.OwnerEmail }).Locator("input").CheckAsync();
        await page.FillAsync("#escalation-repeat", "2");
        await page.FillAsync("#escalation-ack-timeout", "30m");
        await page.ClickAsync("#escalation-save");
        await Assertions.Expect(second.Locator("[data-error-for='steps[1].delay']")).ToContainTextAsync("whole number of minutes");
        await Assertions.Expect(second.Locator(".step-delay")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("[data-error-for='steps[0].delay']")).ToHaveCountAsync(0);
        await second.Locator(".step-delay").FillAsync("15m");
        await page.ClickAsync("#escalation-save");

        // Listed with its steps in order: channels by name, members by e-mail, the repeat count and the ack timeout.
        var row = page.Locator("#escalation-table tbody tr", new() { HasText = "Checkout on-call" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#escalation-form")).ToHaveCountAsync(0);
        await Assertions.Expect(row.Locator(".step-list li")).ToHaveTextAsync(["after 5m: channel Ops hook", $"after 15m: {tenant.OwnerEmail}"]);
        await Assertions.Expect(row.Locator(".policy-repeat")).ToHaveTextAsync("2");
        await Assertions.Expect(row.Locator(".policy-ack-timeout")).ToHaveTextAsync("30m");
        var policyId = await row.GetAttributeAsync("data-policy-id");
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        using (var stored = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/escalation-policies/{policyId}", owner)))
        {
            var policy = await stored.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(2, policy.GetProperty("steps").GetArrayLength());
            Assert.Equal("15m", policy.GetProperty("steps")[1].GetProperty("delay").GetString());
            Assert.Equal(tenant.OwnerId.ToString(), policy.GetProperty("steps")[1].GetProperty("userIds")[0].GetString());
        }

        // Edited: the steps swapped and no ack timeout; the list says so.
        await row.Locator(".escalation-edit").ClickAsync();
        await Assertions.Expect(page.Locator("#escalation-form")).ToHaveAttributeAsync("data-policy-id", policyId!);
        await Assertions.Expect(page.Locator("#escalation-name")).ToHaveValueAsync("Checkout on-call");
        await page.ClickAsync("#escalation-steps .escalation-step[data-step='1'] .step-up");
        await page.FillAsync("#escalation-ack-timeout", "");
        await page.ClickAsync("#escalation-save");
        await Assertions.Expect(row.Locator(".step-list li")).ToHaveTextAsync([$"after 15m: {tenant.OwnerEmail}", "after 5m: channel Ops hook"]);
        await Assertions.Expect(row.Locator(".policy-ack-timeout")).ToHaveTextAsync("none");

        // A Viewer has no Escalation tab, and the view itself offers nothing to create, edit or delete.
        var viewer = await SignInAsync(await InviteViewerAsync(tenant.OwnerEmail), "#/escalation");
        await Assertions.Expect(viewer.Locator("#view-escalation")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("#nav a[data-view=escalation]")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator("#view-escalation [data-state=error]")).ToContainTextAsync("Your role may not see this.");
        await Assertions.Expect(viewer.Locator("#escalation-new")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator(".escalation-edit, .escalation-delete")).ToHaveCountAsync(0);

        // Deleted by the admin: the list is empty again.
        await row.Locator(".escalation-delete").ClickAsync();
        await Assertions.Expect(page.Locator("#view-escalation [data-state=empty]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_rule_editor_saves_recovery_threshold_keep_firing_for_no_data_and_its_escalation_policy_and_they_come_back_on_reload()
    {
        var tenant = await NewTenantAsync("Browser Flap Co");
        var channel = await NewChannelAsync(tenant, "Ops hook");
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        var policy = await PostAsync(owner, "api/v1/escalation-policies", new
        {
            name = "Night on-call", steps = new[] { new { delay = "5m", channelIds = new[] { channel }, userIds = Array.Empty<Guid>() } }, repeat = 0, ackTimeout = (string?)null,
        });
        var policyId = policy.GetProperty("id").GetString()!;

        var page = await SignInAsync(tenant.OwnerEmail, "#/rules?id=new");
        var sent = new List<string>();
        page.Request += (_, request) => { if (request.Method is "POST" or "PUT" && request.Url.Contains("/api/v1/alert-rules", StringComparison.Ordinal)) lock (sent) sent.Add(request.PostData ?? ""); };
        await Assertions.Expect(page.Locator("#rule-editor")).ToBeVisibleAsync();
        await page.FillAsync("#rule-name", "Hysteresis errors");
        await page.SelectOptionAsync("#rule-operator", ">");
        await page.FillAsync("#rule-threshold", "0.05");
        await page.FillAsync("#rule-window", "5m");

        // A recovery threshold on the firing side is named next to its field by the API.
        await page.FillAsync("#rule-recoveryThreshold", "0.1");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("[data-error-for='condition.recoveryThreshold']")).ToContainTextAsync("at most the threshold");

        await page.FillAsync("#rule-recoveryThreshold", "0.02");
        await page.FillAsync("#rule-keepFiringFor", "2m");
        await page.SelectOptionAsync("#rule-noData", "alerting");
        await page.FillAsync("#rule-noDataFor", "15m");
        await Assertions.Expect(page.Locator($"#rule-escalationPolicyId option[value='{policyId}']")).ToHaveTextAsync("Night on-call");
        await page.SelectOptionAsync("#rule-escalationPolicyId", policyId);
        await page.ClickAsync("#rule-save");
        var listed = page.Locator("#rules-table tbody tr", new() { HasText = "Hysteresis errors" });
        await Assertions.Expect(listed).ToHaveCountAsync(1);
        var ruleId = await listed.GetAttributeAsync("data-rule-id");

        // The fields the user left empty are not sent (the server's defaults apply, and a server without them is not sent them).
        string created;
        lock (sent) created = sent[^1];
        using (var body = JsonDocument.Parse(created))
        {
            foreach (var absent in new[] { "groupWait", "groupInterval", "repeatInterval", "flapDetection" })
                Assert.False(body.RootElement.TryGetProperty(absent, out _), $"{absent} was sent: {created}");
            Assert.Equal(0.02, body.RootElement.GetProperty("condition").GetProperty("recoveryThreshold").GetDouble());
        }

        async Task ExpectFieldsAsync(string noData)
        {
            await Assertions.Expect(page.Locator("#rule-editor")).ToHaveAttributeAsync("data-rule-id", ruleId!);
            await Assertions.Expect(page.Locator("#rule-name")).ToHaveValueAsync("Hysteresis errors");
            await Assertions.Expect(page.Locator("#rule-recoveryThreshold")).ToHaveValueAsync("0.02");
            await Assertions.Expect(page.Locator("#rule-keepFiringFor")).ToHaveValueAsync("2m");
            await Assertions.Expect(page.Locator("#rule-noData")).ToHaveValueAsync(noData);
            await Assertions.Expect(page.Locator("#rule-noDataFor")).ToHaveValueAsync("15m");
            await Assertions.Expect(page.Locator("#rule-escalationPolicyId")).ToHaveValueAsync(policyId);
        }

        await page.GotoAsync(new Uri(Host.BaseUrl, $"dashboard/#/rules?id={ruleId}").ToString());
        await page.ReloadAsync();
        await ExpectFieldsAsync("alerting");

        // Changed and saved (PUT): the other fields are kept, the change comes back.
        await page.SelectOptionAsync("#rule-noData", "keepState");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("#rule-saved")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await ExpectFieldsAsync("keepState");
        using var stored = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, $"api/v1/alert-rules/{ruleId}", owner));
        var rule = await stored.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("keepState", rule.GetProperty("noData").GetString());
        Assert.Equal("15m", rule.GetProperty("noDataFor").GetString());
        Assert.Equal("2m", rule.GetProperty("keepFiringFor").GetString());
        Assert.Equal(0.02, rule.GetProperty("condition").GetProperty("recoveryThreshold").GetDouble());
        Assert.Equal(policyId, rule.GetProperty("escalationPolicyId").GetString());
    }

    [Fact]
    public async Task An_alert_whose_json_says_flapping_shows_a_flapping_badge_in_the_list_and_the_detail_and_one_that_does_not_shows_none()
    {
        // The server does not send `flapping` yet: its answers are stood in for, as the alert JSON will carry it.
        var tenant = await NewTenantAsync("Browser Flapping Co");
        var page = await SignInAsync(tenant.OwnerEmail, "#/overview");
        var flappingId = Guid.NewGuid().ToString();
        var steadyId = Guid.NewGuid().ToString();
        var since = DateTimeOffset.UtcNow.AddMinutes(-7).ToString("O");
        object Alert(string id, bool flapping) => new
        {
            id, ruleId = Guid.NewGuid(), ruleName = flapping ? "Flappy checkout" : "Steady checkout", state = "firing", severity = "warning",
            startedAt = since, firingAt = since, value = 0.3, group = "route=/v1/flap", silenced = (object?)null,
            flapping, flappingSince = flapping ? since : null, timeline = Array.Empty<object>(),
        };
        await page.RouteAsync(new Regex(@"/api/v1/alerts(\?.*)?$"), route => route.FulfillAsync(new()
        {
            Status = 200, ContentType = "application/json", Body = JsonSerializer.Serialize(new { items = new[] { Alert(flappingId, true), Alert(steadyId, false) }, next = (string?)null }),
        }));
        await page.RouteAsync(new Regex($"/api/v1/alerts/{flappingId}$"), route => route.FulfillAsync(new()
        {
            Status = 200, ContentType = "application/json", Body = JsonSerializer.Serialize(Alert(flappingId, true)),
        }));

        await page.ClickAsync("#nav a[data-view=alerts]");
        await Assertions.Expect(page.Locator($"#alerts-table tr[data-alert-id='{flappingId}'] .flapping-badge")).ToHaveTextAsync("flapping");
        await Assertions.Expect(page.Locator($"#alerts-table tr[data-alert-id='{steadyId}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"#alerts-table tr[data-alert-id='{steadyId}'] .flapping-badge")).ToHaveCountAsync(0);
        await page.ClickAsync($"#alerts-table tr[data-alert-id='{flappingId}']");
        await Assertions.Expect(page.Locator("#alert-detail .flapping-badge")).ToHaveTextAsync("flapping");
        await Assertions.Expect(page.Locator("#alert-flapping-since")).Not.ToHaveTextAsync("—");
    }

    [Fact]
    public async Task The_silences_maintenance_and_escalation_views_have_no_serious_axe_violations_label_every_input_and_reach_every_action_by_keyboard()
    {
        var tenant = await NewTenantAsync("Browser Axe Co");
        var channel = await NewChannelAsync(tenant, "Ops hook");
        var owner = await Host.LoginAsync(tenant.OwnerEmail, Password);
        await PostAsync(owner, "api/v1/escalation-policies", new
        {
            name = "Axe on-call", steps = new[] { new { delay = "5m", channelIds = new[] { channel }, userIds = new[] { tenant.OwnerId } } }, repeat = 1, ackTimeout = "30m",
        });
        await PostAsync(owner, "api/v1/silences", new
        {
            matchers = new[] { new { name = "route", op = "=", value = "/v1/axe" } }, endsAt = DateTimeOffset.UtcNow.AddHours(2), comment = "deploying", expireOnResolve = false,
        });
        var window = await PostAsync(owner, "api/v1/maintenance-windows", new
        {
            name = "Axe window", rrule = "FREQ=WEEKLY;BYDAY=SU", start = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'02:00:00", System.Globalization.CultureInfo.InvariantCulture),
            duration = "2h", timeZone = "Europe/Berlin", exceptions = Array.Empty<string>(),
            matchers = new[] { new { name = "route", op = "=~", value = "/v1/reports/.*" } }, summaryAtEnd = false,
        });

        var page = await SignInAsync(tenant.OwnerEmail, "#/silences");
        async Task CheckAsync(string what, string hash, string ready, string scope)
        {
            await page.GotoAsync(new Uri(Host.BaseUrl, "dashboard/" + hash).ToString());
            await Assertions.Expect(page.Locator(ready).First).ToBeVisibleAsync();
            await Accessibility.AssertNoSeriousViolationsAsync(page, what);
            await Accessibility.AssertEveryInputIsLabelledAsync(page, scope, what);
            await Accessibility.AssertEveryControlIsReachableByTabAsync(page, scope, what);
        }

        await CheckAsync("silences", "#/silences", "#silences-table tbody tr", "#view-silences");
        await CheckAsync("new silence", "#/silences?new=1", "#silence-preview:has-text('Matches')", "#view-silences");
        await CheckAsync("maintenance", "#/maintenance", "#maintenance-table tbody tr", "#view-maintenance");
        await CheckAsync("maintenance window", $"#/maintenance?id={window.GetProperty("id").GetString()}", "#maintenance-occurrences tbody tr", "#view-maintenance");
        await CheckAsync("new maintenance window", "#/maintenance?id=new", "#maintenance-form", "#view-maintenance");
        await CheckAsync("escalation", "#/escalation", "#escalation-table tbody tr", "#view-escalation");
        await CheckAsync("new escalation policy", "#/escalation?id=new", "#escalation-form .step-channels input", "#view-escalation");

        // Keyboard only: New policy opens the form with Enter, Add step with Space, Cancel closes it with Enter.
        await page.GotoAsync(new Uri(Host.BaseUrl, "dashboard/#/escalation").ToString());
        await page.FocusAsync("#escalation-new");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#escalation-form")).ToBeVisibleAsync();
        await page.FocusAsync("#escalation-add-step");
        await page.Keyboard.PressAsync(" ");
        await Assertions.Expect(page.Locator("#escalation-steps .escalation-step")).ToHaveCountAsync(2);
        await page.FocusAsync("#escalation-cancel");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#escalation-form")).ToHaveCountAsync(0);
    }
}
