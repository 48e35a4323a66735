using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.BrowserTests;

/// <summary>
/// The dashboard's alerting views (Alerts, Rules, Channels) in headless Chromium against a real local host: a person
/// creates a channel and a rule, watches the rule fire under posted errors, acknowledges and resolves the alert and
/// sees the summary move; a Viewer sees none of the actions the API would refuse; the view state lives in the URL.
/// </summary>
public sealed class AlertingViewsTests : IAsyncLifetime
{
    private const string Password = "a long password for the browser";
    private static readonly TimeSpan Firing = TimeSpan.FromSeconds(60);

    private LocalHostProcess _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _host = await LocalHostProcess.StartAsync("pulse_ui_alerting");
        (_playwright, _browser) = await HeadlessChromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
    }

    private Task<IPage> SignInAsync(string email, string password, string hash = "", string? timeZone = null) =>
        HeadlessChromium.SignInAsync(_browser, _host.BaseUrl, email, password, hash, timeZone);

    private async Task<ProvisionedTenant> NewTenantAsync(string name) =>
        await Provisioning.For(_host).CreateTenantAsync(name, $"ui-{Guid.NewGuid():N}@example.com", Password, default);

    /// <summary>Invites a member with <paramref name="role"/> into the tenant and sets their password: their email.</summary>
    private async Task<string> InviteAsync(string ownerEmail, string role)
    {
        var owner = await _host.LoginAsync(ownerEmail, Password);
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        using var invite = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Post, "api/v1/users", owner, new { email, role }));
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var invited = await invite.Content.ReadFromJsonAsync<JsonElement>();
        using var accept = await _host.Http.PostAsJsonAsync("api/v1/auth/accept-invite", new { inviteToken = invited.GetProperty("inviteToken").GetString(), password = Password });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        return email;
    }

    private async Task PostAsync(string apiKey, string route, int status, int count)
    {
        using var response = await _host.Http.SendAsync(_host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, count).Select(i => Payloads.Event(route, status, 100 + i))), apiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>Keeps errors flowing until cancelled: each batch marks the tenant's rules due for evaluation.</summary>
    private Task KeepPostingErrorsAsync(string apiKey, string route, CancellationToken ct) => Task.Run(async () =>
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await PostAsync(apiKey, route, 503, 5);
                await Task.Delay(1000, ct);
            }
            catch (OperationCanceledException) { }
        }
    }, CancellationToken.None);

    [Fact]
    public async Task An_owner_creates_a_channel_and_a_rule_watches_it_fire_acknowledges_and_resolves_it_and_sees_the_summary_move()
    {
        var tenant = await NewTenantAsync("Browser Alerts Co");
        var page = await SignInAsync(tenant.OwnerEmail, Password);
        await Assertions.Expect(page.Locator("#kpi-requests")).ToBeVisibleAsync(); // the overview is the landing view

        // Channels: a webhook to the local host's sink; its secret is shown once; a test send answers an outcome.
        await page.ClickAsync("#nav a[data-view=channels]");
        await Assertions.Expect(page.Locator("#view-channels [data-state=empty]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#view-overview")).ToBeHiddenAsync();
        await page.ClickAsync("#channel-new");
        await page.SelectOptionAsync("#channel-type", "webhook");
        await page.FillAsync("#channel-name", "Browser hook");
        await page.FillAsync("#channel-url", new Uri(_host.BaseUrl, "local/webhook-sink").ToString());
        await page.ClickAsync("#channel-save");
        await Assertions.Expect(page.Locator("#channel-secret-value")).ToContainTextAsync("whsec_");
        await Assertions.Expect(page.Locator("#channels-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#channels-table")).ToContainTextAsync("Browser hook");
        await Assertions.Expect(page.Locator("#channel-detail")).ToBeVisibleAsync();
        await page.ClickAsync("#channel-detail .channel-test");
        await Assertions.Expect(page.Locator("#channel-detail .channel-test-result")).ToBeVisibleAsync(new() { Timeout = 20_000 });

        // Rules: an invalid window is named next to its field; fixed, the rule is created with the channel.
        await page.ClickAsync("#nav a[data-view=rules]");
        await page.ClickAsync("#rule-new");
        await page.FillAsync("#rule-name", "Browser checkout errors");
        await page.SelectOptionAsync("#rule-severity", "critical");
        await page.SelectOptionAsync("#rule-metric", "error_rate");
        await page.SelectOptionAsync("#rule-operator", ">");
        await page.FillAsync("#rule-threshold", "0.2");
        await page.FillAsync("#rule-window", "2s");
        await page.FillAsync("#rule-for", "0s");
        await page.FillAsync("#rule-route", "/v1/browser-checkout");
        await page.FillAsync("#rule-minRequests", "5");
        // Told at once, not after the default 30 s group wait (the grouping fields saved and read back, too).
        await page.FillAsync("#rule-groupWait", "0s");
        await page.FillAsync("#rule-groupInterval", "0s");
        await page.CheckAsync("#rule-channels input[type=checkbox]");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("[data-error-for='condition.window']")).ToContainTextAsync("1m");
        await page.FillAsync("#rule-window", "5m");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("#rules-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rules-table tbody tr")).ToContainTextAsync("Browser checkout errors");
        await Assertions.Expect(page.Locator("[data-error-for]")).ToHaveCountAsync(0);

        // Alerts: errors are posted until the rule fires; the list shows it live, the summary counts it.
        await page.ClickAsync("#nav a[data-view=alerts]");
        await Assertions.Expect(page.Locator("[data-summary=open]")).ToHaveTextAsync("0");
        using var posting = new CancellationTokenSource();
        var poster = KeepPostingErrorsAsync(tenant.ApiKey, "/v1/browser-checkout", posting.Token);
        string alertId;
        try
        {
            var firing = page.Locator("#alerts-table tbody tr[data-state=firing]");
            await Assertions.Expect(firing).ToHaveCountAsync(1, new() { Timeout = (float)Firing.TotalMilliseconds });
            alertId = await firing.GetAttributeAsync("data-alert-id") ?? throw new InvalidOperationException("no alert id");
        }
        finally
        {
            await posting.CancelAsync();
            await poster;
        }
        await Assertions.Expect(page.Locator("[data-summary=firing]")).ToHaveTextAsync("1", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-summary=open]")).ToHaveTextAsync("1");

        // A Viewer opens the same link: the alert, Ack offered, no Resolve, no Channels tab, no rule actions.
        var viewerEmail = await InviteAsync(tenant.OwnerEmail, "viewer");
        var viewer = await SignInAsync(viewerEmail, Password, $"#/alerts?id={alertId}");
        await Assertions.Expect(viewer.Locator("#alert-detail")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("#alert-detail")).ToContainTextAsync("Browser checkout errors");
        await Assertions.Expect(viewer.Locator("#alert-ack")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("#alert-resolve")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator("#nav a[data-view=channels]")).ToHaveCountAsync(0);
        await viewer.ClickAsync("#nav a[data-view=rules]");
        await Assertions.Expect(viewer.Locator("#rules-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator("#rule-new")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.Locator(".rule-toggle")).ToHaveCountAsync(0);

        // The owner opens it: its timeline, its delivery to the channel; acknowledges it, then resolves it.
        await page.ClickAsync($"#alerts-table tbody tr[data-alert-id='{alertId}']");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/alerts\\?.*id={alertId}"));
        await Assertions.Expect(page.Locator("#alert-timeline li[data-kind=transition]").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#alert-deliveries tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.ClickAsync("#alert-ack");
        await Assertions.Expect(page.Locator("#alert-acknowledged")).ToContainTextAsync(tenant.OwnerEmail);
        await Assertions.Expect(page.Locator("#alert-timeline li[data-kind=ack]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"#alerts-table tbody tr[data-alert-id='{alertId}']")).ToHaveAttributeAsync("data-state", "acknowledged");
        await Assertions.Expect(page.Locator("[data-summary=acknowledged]")).ToHaveTextAsync("1", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-summary=mtta]")).Not.ToHaveTextAsync("—");

        await page.ClickAsync("#alert-resolve");
        await Assertions.Expect(page.Locator("#alert-resolved")).ToContainTextAsync(tenant.OwnerEmail);
        await Assertions.Expect(page.Locator("#alert-resolve")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#alert-ack")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"#alerts-table tbody tr[data-alert-id='{alertId}']")).ToHaveAttributeAsync("data-state", "resolved");
        await Assertions.Expect(page.Locator("[data-summary=resolved]")).ToHaveTextAsync("1", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("[data-summary=mttr]")).Not.ToHaveTextAsync("—");

        // The rule is disabled from its list; the list says so.
        await page.ClickAsync("#nav a[data-view=rules]");
        await page.ClickAsync("#rules-table .rule-toggle");
        await Assertions.Expect(page.Locator("#rules-table tbody tr")).ToHaveAttributeAsync("data-enabled", "false");
    }

    [Fact]
    public async Task An_admin_silences_a_firing_alert_from_its_detail_and_the_next_alert_notifies_nobody_until_the_silence_is_expired()
    {
        var tenant = await NewTenantAsync("Browser Silence Co");
        var provisioner = Provisioning.For(_host);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "on call", new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/hook"), default);
        var owner = await _host.LoginAsync(tenant.OwnerEmail, Password);
        using (var rule = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Post, "api/v1/alert-rules", owner, new
        {
            name = "Silenced checkout errors", enabled = true, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", groupBy = new[] { "route" }, minRequests = 5 },
            @for = "0s", channelIds = new[] { channel.ChannelId }, groupWait = "0s", groupInterval = "0s",
        })))
            Assert.Equal(HttpStatusCode.Created, rule.StatusCode);

        using var posting = new CancellationTokenSource();
        var poster = KeepPostingErrorsAsync(tenant.ApiKey, "/v1/silenced", posting.Token);
        try
        {
            var page = await SignInAsync(tenant.OwnerEmail, Password, "#/alerts");
            var firing = page.Locator("#alerts-table tbody tr[data-state=firing]");
            await Assertions.Expect(firing).ToHaveCountAsync(1, new() { Timeout = (float)Firing.TotalMilliseconds });
            var firstId = await firing.GetAttributeAsync("data-alert-id");
            await firing.ClickAsync();
            await Assertions.Expect(page.Locator("#alert-deliveries tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });

            // "Silence…" opens the form with this alert's rule and group filled in; the preview finds it.
            await page.ClickAsync("#alert-silence");
            await Assertions.Expect(page.Locator("#silence-form")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#silence-form .matcher-value").Nth(0)).ToHaveValueAsync("Silenced checkout errors");
            await Assertions.Expect(page.Locator("#silence-form .matcher-value").Nth(1)).ToHaveValueAsync("route=/v1/silenced");
            await Assertions.Expect(page.Locator("#silence-preview")).ToHaveAttributeAsync("data-matched", "1");
            await Assertions.Expect(page.Locator($"#silence-preview-items li[data-alert-id='{firstId}']")).ToBeVisibleAsync();
            await page.UncheckAsync("#silence-expire-on-resolve");
            await page.FillAsync("#silence-comment", "fixing the checkout database");
            await page.ClickAsync("#silence-save");
            await Assertions.Expect(page.Locator("#silences-table tbody tr[data-state=active]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#silence-form")).ToHaveCountAsync(0);

            // The first alert was already notified; resolved by hand while errors go on, a new one fires, silenced.
            await page.GotoAsync(new Uri(_host.BaseUrl, $"dashboard/#/alerts?id={firstId}").ToString());
            await Assertions.Expect(page.Locator("#alert-detail .silenced-badge")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#alert-silence")).ToHaveCountAsync(0);
            await page.ClickAsync("#alert-resolve");
            var next = page.Locator($"#alerts-table tbody tr[data-state=firing]:not([data-alert-id='{firstId}'])");
            await Assertions.Expect(next).ToHaveCountAsync(1, new() { Timeout = (float)Firing.TotalMilliseconds });
            await Assertions.Expect(next.Locator(".silenced-badge")).ToBeVisibleAsync();
            await next.ClickAsync();
            await Assertions.Expect(page.Locator("#alert-timeline li[data-kind=muted]")).ToHaveCountAsync(1);
            await Task.Delay(3000);
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator("#alert-detail")).ToContainTextAsync("No deliveries.");

            // Expired from the Silences view while it still fires: its firing notification goes out now.
            await page.ClickAsync("#nav a[data-view=silences]");
            await page.ClickAsync("#silences-table tbody tr[data-state=active] .silence-expire");
            await Assertions.Expect(page.Locator("#silences-table tbody tr[data-state=expired]")).ToHaveCountAsync(1);
            await page.GoBackAsync();
            await Assertions.Expect(page.Locator("#alert-deliveries tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#alert-timeline li[data-kind=unmuted]")).ToHaveCountAsync(1);

            // A Viewer has no Silences tab and no Silence button.
            var viewer = await SignInAsync(await InviteAsync(tenant.OwnerEmail, "viewer"), Password, $"#/alerts?id={firstId}");
            await Assertions.Expect(viewer.Locator("#alert-detail")).ToBeVisibleAsync();
            await Assertions.Expect(viewer.Locator("#nav a[data-view=silences]")).ToHaveCountAsync(0);
            await Assertions.Expect(viewer.Locator("#alert-silence")).ToHaveCountAsync(0);
        }
        finally
        {
            await posting.CancelAsync();
            await poster;
        }
    }

    [Fact]
    public async Task A_maintenance_window_made_in_Berlin_lists_its_occurrences_in_the_viewers_New_York_time_and_its_own()
    {
        var tenant = await NewTenantAsync("Browser Maintenance Co");
        var page = await SignInAsync(tenant.OwnerEmail, Password, "#/maintenance", timeZone: "America/New_York");
        await Assertions.Expect(page.Locator("#view-maintenance [data-state=empty]")).ToBeVisibleAsync();

        // The first Sunday of next month at 02:00 in Berlin (never a clock change: those are on last Sundays).
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var month = DateTime.UtcNow.AddMonths(1);
        var first = new DateTime(month.Year, month.Month, 1, 2, 0, 0, DateTimeKind.Unspecified);
        while (first.DayOfWeek != DayOfWeek.Sunday) first = first.AddDays(1);
        var utc = TimeZoneInfo.ConvertTimeToUtc(first, berlin);
        var inNewYork = TimeZoneInfo.ConvertTimeFromUtc(utc, newYork);

        await page.ClickAsync("#maintenance-new");
        await page.FillAsync("#maintenance-name", "Monthly reports upgrade");
        await page.SelectOptionAsync("#maintenance-preset", "FREQ=MONTHLY;BYDAY=1SU");
        await page.FillAsync("#maintenance-start", first.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.FillAsync("#maintenance-duration", "2h");
        await page.FillAsync("#maintenance-zone", "Europe/Berlin");
        await page.ClickAsync("#maintenance-save");
        await Assertions.Expect(page.Locator("[data-error-for='matchers']")).ToBeVisibleAsync(); // an empty matcher matches everything
        await page.FillAsync("#maintenance-form .matcher-value", "/v1/reports/.*");
        await page.ClickAsync("#maintenance-save");

        await Assertions.Expect(page.Locator("#maintenance-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#maintenance-detail")).ToBeVisibleAsync();
        var row = page.Locator("#maintenance-occurrences tbody tr").First;
        await Assertions.Expect(row).ToHaveAttributeAsync("data-start", new System.Text.RegularExpressions.Regex("^" + utc.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        await Assertions.Expect(row.Locator("td").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^" + inNewYork.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        await Assertions.Expect(row.Locator(".window-local")).ToHaveTextAsync(first.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#maintenance-occurrences .window-local")).ToContainTextAsync(["02:00", "02:00"]);

        // The UTC toggle: every time the view shows is then in UTC, labelled so, and the choice survives a reload.
        await page.ClickAsync("#tz-toggle");
        await Assertions.Expect(page.Locator("#tz-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        var utcText = utc.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(page.Locator("#maintenance-occurrences tbody tr").First.Locator("td").First).ToHaveTextAsync(new Regex("^" + utcText + ":00 UTC$"));
        await Assertions.Expect(page.Locator("#maintenance-occurrences caption")).ToContainTextAsync("(UTC)");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#maintenance-occurrences tbody tr").First.Locator("td").First).ToHaveTextAsync(new Regex("^" + utcText));
        await page.ClickAsync("#tz-toggle");
        await Assertions.Expect(page.Locator("#maintenance-occurrences tbody tr").First.Locator("td").First).ToHaveTextAsync(new Regex("^" + inNewYork.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        await Assertions.Expect(page.Locator("#maintenance-occurrences caption")).ToContainTextAsync("(America/New_York)");

        // A Viewer reads the window and its occurrences, and has nothing to create or delete.
        var viewer = await SignInAsync(await InviteAsync(tenant.OwnerEmail, "viewer"), Password, "#/maintenance");
        await Assertions.Expect(viewer.Locator("#maintenance-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(viewer.Locator("#maintenance-new")).ToHaveCountAsync(0);
        await viewer.ClickAsync("#maintenance-table tbody tr");
        await Assertions.Expect(viewer.Locator("#maintenance-occurrences tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("#maintenance-delete")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_rule_editor_draws_the_preview_of_a_rule_over_the_posted_traffic()
    {
        var tenant = await NewTenantAsync("Browser Preview Co");
        await PostAsync(tenant.ApiKey, "/v1/preview", 200, 20);
        await PostAsync(tenant.ApiKey, "/v1/preview", 503, 20);
        var page = await SignInAsync(tenant.OwnerEmail, Password, "#/rules?id=new");

        await Assertions.Expect(page.Locator("#rule-editor")).ToBeVisibleAsync();
        await page.FillAsync("#rule-name", "Preview errors");
        await page.FillAsync("#rule-threshold", "0.1");
        await page.FillAsync("#rule-window", "1m");
        await page.FillAsync("#rule-for", "0s");
        await page.CheckAsync("#rule-groupBy input[value=route]");
        await page.SelectOptionAsync("#rule-preview-range", "1h");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/rules\\?.*range=1h"));

        // The rollups need a moment; the preview is asked again until it shows the series and the firing interval.
        var chart = page.Locator("#preview-chart");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            await page.ClickAsync("#rule-preview");
            await Assertions.Expect(page.Locator("#rule-preview")).ToBeEnabledAsync(new() { Timeout = 15_000 });
            return await page.Locator("#preview-intervals li[data-state=firing]").CountAsync() > 0;
        }, TimeSpan.FromSeconds(45)), "the preview never showed a firing interval: " + await page.Locator("#rule-preview-result").TextContentAsync());
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-groups", "1");
        await Assertions.Expect(chart.Locator("canvas")).ToBeVisibleAsync();
        await Assertions.Expect(chart).ToContainTextAsync("threshold 10.00 %");
        await Assertions.Expect(page.Locator("#preview-intervals")).ToContainTextAsync("route=/v1/preview");
        // The chart's text equivalent: each group's range and last value in words.
        await Assertions.Expect(page.Locator("#preview-chart-text li")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#preview-chart-text li")).ToContainTextAsync(new Regex("route=/v1/preview: from .* %, last .* % \\(\\d+ points\\)"));
        await Assertions.Expect(chart.Locator("[role=img]")).ToHaveAttributeAsync("aria-label", new Regex("error_rate per group"));
    }

    [Fact]
    public async Task Each_channel_type_is_created_from_its_form_with_errors_by_field_and_listed_without_its_secret_parts()
    {
        var tenant = await NewTenantAsync("Browser Channels Co");
        var page = await SignInAsync(tenant.OwnerEmail, Password, "#/channels?id=new");
        var sink = new Uri(_host.BaseUrl, "local/format-sink/").ToString();
        const string routingKey = "R0UT1NGKEY0123456789ABCDEFabcdef";

        async Task CreateAsync(string type, string name, Func<Task> fill)
        {
            await page.ClickAsync("#channel-new");
            await page.SelectOptionAsync("#channel-type", type);
            await Assertions.Expect(page.Locator("#channel-form")).ToHaveAttributeAsync("data-type", type);
            await page.FillAsync("#channel-name", name);
            await fill();
            await page.ClickAsync("#channel-save");
            await Assertions.Expect(page.Locator("#channels-table")).ToContainTextAsync(name);
        }

        // E-mail: a recipient that is no address is named next to the recipients; fixed, the channel is created.
        await page.SelectOptionAsync("#channel-type", "email");
        await page.FillAsync("#channel-name", "On-call mail");
        await page.FillAsync("#channel-recipients", "oncall@example.com\nnot-an-address");
        await page.ClickAsync("#channel-save");
        await Assertions.Expect(page.Locator("[data-error-for=recipients]")).ToContainTextAsync("not-an-address");
        await page.FillAsync("#channel-recipients", "oncall@example.com\nlead@example.com");
        await page.ClickAsync("#channel-save");
        await Assertions.Expect(page.Locator("#channels-table")).ToContainTextAsync("oncall@example.com, lead@example.com");

        await CreateAsync("slack", "Team Slack", () => page.FillAsync("#channel-url", sink + "slack/T000/B000/secretpart"));
        await CreateAsync("teams", "Team Teams", () => page.FillAsync("#channel-url", sink + "teams/secretpart"));
        await CreateAsync("pagerduty", "Pager", () => page.FillAsync("#channel-routing-key", routingKey));

        await Assertions.Expect(page.Locator("#channels-table tbody tr")).ToHaveCountAsync(4);
        foreach (var type in new[] { "email", "slack", "teams", "pagerduty" })
            await Assertions.Expect(page.Locator($"#channels-table tbody tr[data-type={type}]")).ToHaveCountAsync(1);
        // The list shows targets masked: neither the routing key nor the URLs' secret parts.
        await Assertions.Expect(page.Locator("#channels-table")).Not.ToContainTextAsync(routingKey);
        await Assertions.Expect(page.Locator("#channels-table")).Not.ToContainTextAsync("secretpart");
    }

    [Fact]
    public async Task Filters_and_selection_live_in_the_url_and_survive_a_reload_and_the_overview_stays_the_landing_view()
    {
        var tenant = await NewTenantAsync("Browser Url Co");
        var page = await SignInAsync(tenant.OwnerEmail, Password, "#/alerts?state=resolved&severity=critical");

        await Assertions.Expect(page.Locator("#nav a[data-view=alerts]")).ToHaveAttributeAsync("aria-current", "page");
        await Assertions.Expect(page.Locator("#alerts-filter-state")).ToHaveValueAsync("resolved");
        await Assertions.Expect(page.Locator("#alerts-filter-severity")).ToHaveValueAsync("critical");
        await Assertions.Expect(page.Locator("#view-alerts [data-state=empty]")).ToHaveTextAsync("No resolved critical alerts.");

        await page.SelectOptionAsync("#alerts-filter-state", "firing");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/alerts\\?.*state=firing"));
        await Assertions.Expect(page.Locator("#view-alerts [data-state=empty]")).ToHaveTextAsync("No firing critical alerts.");

        // A reload keeps the session (this tab's) and the view with its filters.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#alerts-filter-state")).ToHaveValueAsync("firing");
        await Assertions.Expect(page.Locator("#alerts-filter-severity")).ToHaveValueAsync("critical");

        // The rule editor's field errors come from the API's `errors`, each next to its field.
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/#/rules?id=new").ToString());
        await Assertions.Expect(page.Locator("#rule-editor")).ToBeVisibleAsync();
        await page.FillAsync("#rule-name", "");
        await page.FillAsync("#rule-window", "2s");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("[data-error-for=name]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-error-for='condition.window']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rule-window")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#rules-table")).ToHaveCountAsync(0); // nothing was created
        await page.FillAsync("#rule-threshold", "lots");
        await page.ClickAsync("#rule-save");
        await Assertions.Expect(page.Locator("[data-error-for='condition.threshold']")).ToHaveTextAsync("Must be a number.");

        // Back to the overview: the landing view, its tiles visible again; an unknown view lands there too.
        await page.ClickAsync("#nav a[data-view=overview]");
        await Assertions.Expect(page.Locator("#view-overview")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#kpi-requests")).ToBeVisibleAsync();
        await page.GotoAsync(new Uri(_host.BaseUrl, "dashboard/#/no-such-view").ToString());
        await Assertions.Expect(page.Locator("#nav a[data-view=overview]")).ToHaveAttributeAsync("aria-current", "page");
        await Assertions.Expect(page.Locator("#view-overview")).ToBeVisibleAsync();
    }
}
