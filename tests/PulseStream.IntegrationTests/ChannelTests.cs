using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Notifications;
using PulseStream.Notifications.Channels;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Channels through the API of a real host: every type sent to a real receiver, secrets shown once, rotation, validation.</summary>
public class ChannelTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<JsonElement> CreateAsync(string token, object body)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/channels", token, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> TestSendAsync(string token, string channelId)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/channels/{channelId}/test", token));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_webhook_channel_shows_its_secret_once_signs_both_ways_and_rotation_keeps_the_old_secret_signing()
    {
        await using var receiver = await RecordingReceiver.StartAsync();
        var owner = await People.SignupAsync(Host, "Webhook Co");
        var created = await CreateAsync(owner.AccessToken, new { type = "webhook", name = "Ops hook", url = receiver.Url("/hook?token=s3cr3t-token") });
        var id = created.GetProperty("id").GetString()!;
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.DoesNotContain("s3cr3t-token", created.GetProperty("url").GetString());

        // Listed masked and without the secret; stored encrypted: neither the secret nor the URL's token in the clear.
        var list = await Host.GetJsonAsync("api/v1/channels", owner.AccessToken);
        var listed = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.False(listed.TryGetProperty("secret", out _));
        Assert.Equal($"http://127.0.0.1:{receiver.Port}/…?…", listed.GetProperty("url").GetString());
        Assert.True(listed.GetProperty("hasSecret").GetBoolean());
        Assert.Equal(0, await Host.ScalarAsync("""
            SELECT count(*) FROM channels WHERE tenant_id = $1 AND (concat(target, target_protected, secret_protected) LIKE '%' || $2 || '%'
                OR concat(target, target_protected, secret_protected) LIKE '%s3cr3t-token%')
            """, owner.TenantId, secret[6..]));

        // A test goes out at once, signed in both schemes with the one secret.
        var outcome = await TestSendAsync(owner.AccessToken, id);
        Assert.True(outcome.GetProperty("delivered").GetBoolean(), outcome.ToString());
        Assert.Equal(204, outcome.GetProperty("statusCode").GetInt32());
        var first = Assert.Single(receiver.Received);
        Assert.Equal("/hook?token=s3cr3t-token", first.PathAndQuery);
        var deliveryId = outcome.GetProperty("deliveryId").GetString();
        Assert.Equal(deliveryId, first.Header("X-PulseStream-Delivery"));
        Assert.Equal(deliveryId, first.Header("webhook-id"));
        using (var body = JsonDocument.Parse(first.Body))
        {
            Assert.Equal("channel.test", body.RootElement.GetProperty("type").GetString());
            Assert.Equal(deliveryId, body.RootElement.GetProperty("id").GetString());
            Assert.Equal(owner.TenantId, body.RootElement.GetProperty("tenantId").GetGuid());
        }
        AssertSigned(first, secret, expected: true);

        // Rotation: a new secret, shown once; for 24 hours both sign every delivery.
        using var rotate = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/channels/{id}/rotate-secret", owner.AccessToken));
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var rotated = await rotate.Content.ReadFromJsonAsync<JsonElement>();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);
        var expires = rotated.GetProperty("previousSecretExpiresAt").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
        Assert.True((await TestSendAsync(owner.AccessToken, id)).GetProperty("delivered").GetBoolean());
        var second = receiver.Received.Last();
        Assert.Equal(2, second.Header("webhook-signature").Split(' ').Length);
        Assert.Equal(2, second.Header("X-PulseStream-Signature").Split(' ').Length);
        AssertSigned(second, secret, expected: true);
        AssertSigned(second, newSecret, expected: true);
        AssertSigned(second, WebhookSignature.NewSecret(), expected: false);

        // A rename keeps the URL it does not repeat; another tenant finds nothing by this id.
        using (var rename = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, $"api/v1/channels/{id}", owner.AccessToken, new { type = "webhook", name = "Renamed" })))
        {
            Assert.Equal(HttpStatusCode.OK, rename.StatusCode);
            var renamed = await rename.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Renamed", renamed.GetProperty("name").GetString());
            Assert.Equal(listed.GetProperty("url").GetString(), renamed.GetProperty("url").GetString());
        }
        var stranger = await People.SignupAsync(Host, "Stranger Co");
        foreach (var (method, path) in new[] { (HttpMethod.Post, $"api/v1/channels/{id}/test"), (HttpMethod.Post, $"api/v1/channels/{id}/rotate-secret"), (HttpMethod.Delete, $"api/v1/channels/{id}") })
        {
            using var foreign = await Host.Http.SendAsync(Host.Authorized(method, path, stranger.AccessToken));
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }
        Assert.Equal(2, receiver.Received.Count);

        // Every change is audited, and no audit entry holds a secret.
        Assert.Equal(3, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action IN ('channel.create', 'channel.rotate_secret', 'channel.update')", owner.TenantId));
        Assert.Equal(2, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'channel.test'", owner.TenantId));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND (summary::text LIKE '%' || $2 || '%' OR summary::text LIKE '%' || $3 || '%' OR summary::text LIKE '%s3cr3t-token%')",
            owner.TenantId, secret[6..], newSecret[6..]));

        using (var delete = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/channels/{id}", owner.AccessToken)))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty((await Host.GetJsonAsync("api/v1/channels", owner.AccessToken)).GetProperty("items").EnumerateArray());
        using (var again = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/channels/{id}", owner.AccessToken)))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    private static void AssertSigned(ReceivedRequest request, string secret, bool expected)
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(expected, WebhookSignature.Verify(secret, request.Header("X-PulseStream-Timestamp"), request.Header("X-PulseStream-Signature"), request.Body, now, TimeSpan.FromMinutes(5)));
        Assert.Equal(expected, WebhookSignature.VerifyStandard(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body, now, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Test_sends_are_limited_per_channel_and_per_tenant_with_a_429_that_says_when_to_retry()
    {
        await using var receiver = await RecordingReceiver.StartAsync();
        var owner = await People.SignupAsync(Host, "Test Flood Co");
        var channels = new List<string>();
        for (var i = 0; i < 7; i++)
            channels.Add((await CreateAsync(owner.AccessToken, new { type = "webhook", name = $"Hook {i}", url = receiver.Url() })).GetProperty("id").GetString()!);

        async Task AssertLimitedAsync(string channelId, string scope)
        {
            using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/channels/{channelId}/test", owner.AccessToken));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode} {text}");
            var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal("https://pulsestream.dev/problems/too-many-test-sends", problem.GetProperty("type").GetString());
            Assert.Contains(scope, problem.GetProperty("detail").GetString());
        }

        // Five a minute per channel: the sixth is refused and nothing more reaches the receiver.
        for (var i = 0; i < 5; i++) Assert.True((await TestSendAsync(owner.AccessToken, channels[0])).GetProperty("delivered").GetBoolean());
        await AssertLimitedAsync(channels[0], "this channel");
        Assert.Equal(5, receiver.Received.Count);

        // Thirty a minute per tenant, whichever of its channels they go to.
        foreach (var channelId in channels.Skip(1).Take(5))
            for (var i = 0; i < 5; i++) Assert.True((await TestSendAsync(owner.AccessToken, channelId)).GetProperty("delivered").GetBoolean());
        await AssertLimitedAsync(channels[6], "this tenant");
        Assert.Equal(30, receiver.Received.Count);
        Assert.Equal(30, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'channel.test'", owner.TenantId));

        // Another tenant's tests are not slowed by this one's.
        var other = await People.SignupAsync(Host, "Quiet Test Co");
        var quiet = await CreateAsync(other.AccessToken, new { type = "webhook", name = "Quiet", url = receiver.Url() });
        Assert.True((await TestSendAsync(other.AccessToken, quiet.GetProperty("id").GetString()!)).GetProperty("delivered").GetBoolean());
    }

    [Fact]
    public async Task Slack_teams_and_pagerduty_tests_reach_the_format_sink_in_the_shape_each_service_requires()
    {
        var owner = await People.SignupAsync(Host, "Chat Co");
        var slack = await CreateAsync(owner.AccessToken, new { type = "slack", name = "#ops", url = new Uri(Host.BaseUrl, "local/format-sink/slack").ToString() });
        var teams = await CreateAsync(owner.AccessToken, new { type = "teams", name = "Ops team", url = new Uri(Host.BaseUrl, "local/format-sink/teams").ToString() });
        var routingKey = "R" + Guid.NewGuid().ToString("N")[..31];
        var pager = await CreateAsync(owner.AccessToken, new { type = "pagerduty", name = "On call", routingKey });
        Assert.Equal("…" + routingKey[^4..], pager.GetProperty("routingKey").GetString());
        Assert.False(pager.TryGetProperty("secret", out _));

        var slackOutcome = await TestSendAsync(owner.AccessToken, slack.GetProperty("id").GetString()!);
        Assert.True(slackOutcome.GetProperty("delivered").GetBoolean(), slackOutcome.ToString());
        Assert.Equal(200, slackOutcome.GetProperty("statusCode").GetInt32());
        var teamsOutcome = await TestSendAsync(owner.AccessToken, teams.GetProperty("id").GetString()!);
        Assert.True(teamsOutcome.GetProperty("delivered").GetBoolean(), teamsOutcome.ToString());
        Assert.Equal(202, teamsOutcome.GetProperty("statusCode").GetInt32());
        var pagerOutcome = await TestSendAsync(owner.AccessToken, pager.GetProperty("id").GetString()!);
        Assert.True(pagerOutcome.GetProperty("delivered").GetBoolean(), pagerOutcome.ToString());
        Assert.Equal(202, pagerOutcome.GetProperty("statusCode").GetInt32());

        var received = (await Host.Http.GetFromJsonAsync<JsonElement>("local/format-sink")).EnumerateArray().ToList();
        var slackMessage = received.Single(m => m.GetProperty("service").GetString() == "slack");
        Assert.True(slackMessage.GetProperty("valid").GetBoolean());
        var header = slackMessage.GetProperty("body").GetProperty("blocks")[0];
        Assert.Equal("header", header.GetProperty("type").GetString());
        Assert.Contains("Test notification", header.GetProperty("text").GetProperty("text").GetString());
        var teamsMessage = received.Single(m => m.GetProperty("service").GetString() == "teams");
        Assert.True(teamsMessage.GetProperty("valid").GetBoolean());
        Assert.Equal("AdaptiveCard", teamsMessage.GetProperty("body").GetProperty("attachments")[0].GetProperty("content").GetProperty("type").GetString());
        // A PagerDuty test opens an incident of its own and closes it at once.
        var pagerMessages = received.Where(m => m.GetProperty("service").GetString() == "pagerduty"
            && m.GetProperty("body").GetProperty("routing_key").GetString() == routingKey).Reverse().ToList();
        Assert.Equal(["trigger", "resolve"], pagerMessages.Select(m => m.GetProperty("body").GetProperty("event_action").GetString()));
        Assert.All(pagerMessages, m => Assert.True(m.GetProperty("valid").GetBoolean()));
        Assert.All(pagerMessages, m => Assert.Equal($"pulsestream-test-{pager.GetProperty("id").GetString()}", m.GetProperty("body").GetProperty("dedup_key").GetString()));
    }

    [Fact]
    public async Task An_email_test_goes_through_smtp_and_arrives_at_the_local_mail_server_with_html_and_text()
    {
        var owner = await People.SignupAsync(Host, "Mail Co");
        var recipients = new[] { $"ops-{Guid.NewGuid():N}@example.com", $"lead-{Guid.NewGuid():N}@example.com" };
        var channel = await CreateAsync(owner.AccessToken, new { type = "email", name = "Ops mail", recipients });
        Assert.Equal(recipients, channel.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));
        var outcome = await TestSendAsync(owner.AccessToken, channel.GetProperty("id").GetString()!);
        Assert.True(outcome.GetProperty("delivered").GetBoolean(), outcome.ToString());
        Assert.Equal(250, outcome.GetProperty("statusCode").GetInt32());

        var mail = (await Host.Http.GetFromJsonAsync<JsonElement>("local/mail")).EnumerateArray()
            .Single(m => m.GetProperty("to").EnumerateArray().Any(t => t.GetString() == recipients[0]));
        Assert.Equal(recipients, mail.GetProperty("to").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("[PulseStream] Test notification", mail.GetProperty("subject").GetString());
        Assert.Contains("the channel works", mail.GetProperty("text").GetString());
        using var html = await Host.Http.GetAsync(mail.GetProperty("html").GetString()!.TrimStart('/'));
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("sandbox", html.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("<h2>Test notification from PulseStream</h2>", await html.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Invalid_channels_are_refused_with_an_error_per_field()
    {
        var owner = await People.SignupAsync(Host, "Invalid Co");
        async Task Refused(object body, params string[] fields)
        {
            using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken, body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal("https://pulsestream.dev/problems/invalid-channel", problem.GetProperty("type").GetString());
            Assert.Equal(fields.Order(), problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()!).Distinct().Order());
        }
        await Refused(new { type = "sms", name = "x" }, "type");
        await Refused(new { type = "webhook", name = "", url = "https://example.com/hook" }, "name");
        await Refused(new { type = "webhook", name = new string('n', 101), url = "ftp://example.com/hook" }, "name", "url");
        await Refused(new { type = "slack", name = "s" }, "url");
        await Refused(new { type = "pagerduty", name = "p", routingKey = "short" }, "routingKey");
        await Refused(new { type = "pagerduty", name = "p", routingKey = new string('a', 32), url = "https://example.com" }, "url");
        await Refused(new { type = "email", name = "e", recipients = Enumerable.Range(0, 21).Select(i => $"r{i}@example.com") }, "recipients");
        await Refused(new { type = "email", name = "e", recipients = new[] { "a@example.com", "not an address", "A@example.com" } }, "recipients");
        await Refused(new { type = "email", name = "e", recipients = new[] { "a@example.com\r\nBcc: x@evil.test" } }, "recipients");
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM channels WHERE tenant_id = $1", owner.TenantId));

        // Twenty recipients are fine; the type of a channel cannot change.
        var email = await CreateAsync(owner.AccessToken, new { type = "email", name = "e", recipients = Enumerable.Range(0, 20).Select(i => $"r{i}@example.com") });
        using var retype = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, $"api/v1/channels/{email.GetProperty("id").GetString()}", owner.AccessToken,
            new { type = "slack", name = "e", url = "https://hooks.slack.com/services/T/B/x" }));
        Assert.Equal(HttpStatusCode.BadRequest, retype.StatusCode);
    }

    [Fact]
    public async Task A_channel_a_rule_notifies_cannot_be_deleted_until_the_rule_lets_go()
    {
        var owner = await People.SignupAsync(Host, "InUse Co");
        var channel = await CreateAsync(owner.AccessToken, new { type = "email", name = "Ops", recipients = new[] { "ops@example.com" } });
        var channelId = channel.GetProperty("id").GetString()!;
        using (var rule = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, new
        {
            name = "Uses the channel", enabled = false, severity = "info",
            condition = new { type = "threshold", metric = "request_count", @operator = ">", threshold = 1e6, window = "5m" },
            channelIds = new[] { channelId }, groupWait = "0s",
        })))
            Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        using var delete = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/channels/{channelId}", owner.AccessToken));
        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Contains("Uses the channel", (await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM channels WHERE tenant_id = $1", owner.TenantId));
    }

    [Fact]
    public async Task Alert_notifications_mirror_to_pagerduty_by_alert_id_and_quote_the_rules_threshold()
    {
        // The product's sender, run here against the host's database and its format sink, as the dispatcher runs it.
        var owner = await People.SignupAsync(Host, "Mirror Co");
        var routingKey = "M" + Guid.NewGuid().ToString("N")[..31];
        var pager = await CreateAsync(owner.AccessToken, new { type = "pagerduty", name = "On call", routingKey });
        var slack = await CreateAsync(owner.AccessToken, new { type = "slack", name = "#ops", url = new Uri(Host.BaseUrl, "local/format-sink/slack").ToString() });
        using var ruleResponse = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, new
        {
            name = "Checkout errors", enabled = false, severity = "critical",
            condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m" },
        }));
        var ruleId = (await ruleResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var sender = Sender();
        var alertId = Guid.NewGuid();
        foreach (var state in new[] { "firing", "acknowledged", "resolved" })
        {
            var alert = JsonSerializer.SerializeToElement(new { id = alertId, ruleId, ruleName = "Checkout errors", state, severity = "critical", startedAt = DateTimeOffset.UtcNow, value = 0.345, group = "route=/v1/checkout" },
                PulseStream.Http.Json.Options);
            var outcome = await sender.SendAsync(new Notification(owner.TenantId, Guid.NewGuid(), pager.GetProperty("id").GetGuid(), alertId, $"alert.{state}", alert, 1), default);
            Assert.True(outcome.Delivered, outcome.Error);
            if (state == "firing")
                Assert.True((await sender.SendAsync(new Notification(owner.TenantId, Guid.NewGuid(), slack.GetProperty("id").GetGuid(), alertId, "alert.firing", alert, 1), default)).Delivered);
        }
        var received = (await Host.Http.GetFromJsonAsync<JsonElement>("local/format-sink")).EnumerateArray().Reverse().ToList();
        var events = received.Where(m => m.GetProperty("service").GetString() == "pagerduty" && m.GetProperty("body").GetProperty("routing_key").GetString() == routingKey)
            .Select(m => m.GetProperty("body")).ToList();
        Assert.Equal(["trigger", "acknowledge", "resolve"], events.Select(e => e.GetProperty("event_action").GetString()));
        Assert.All(events, e => Assert.Equal(alertId.ToString(), e.GetProperty("dedup_key").GetString()));
        Assert.Equal("Checkout errors [route=/v1/checkout]: 34.5% (threshold > 20%)", events[0].GetProperty("payload").GetProperty("summary").GetString());
        Assert.Equal("critical", events[0].GetProperty("payload").GetProperty("severity").GetString());
        Assert.EndsWith($"/dashboard/#/alerts?id={alertId}", events[0].GetProperty("client_url").GetString());
        var slackText = received.Last(m => m.GetProperty("service").GetString() == "slack").GetProperty("body").GetRawText();
        Assert.Contains("34.5% (threshold &gt; 20%)", slackText);
        Assert.Contains("route=/v1/checkout", slackText);
        Assert.Contains($"#/alerts?id={alertId}", slackText);

        // A channel deleted meanwhile is a permanent failure, not an exception.
        var gone = await sender.SendAsync(new Notification(owner.TenantId, Guid.NewGuid(), Guid.NewGuid(), alertId, "alert.firing", JsonSerializer.SerializeToElement(new { id = alertId }), 1), default);
        Assert.False(gone.Delivered);
        Assert.True(gone.Permanent);
    }

    private ChannelNotificationSender Sender()
    {
        var database = new Database(NpgsqlDataSource.Create(Host.ConnectionString));
        var options = Options.Create(new NotificationOptions
        {
            AllowedHosts = [Host.BaseUrl.Authority],
            PagerDutyEventsUrl = new Uri(Host.BaseUrl, "local/format-sink/pagerduty").ToString(),
            DashboardUrl = new Uri(Host.BaseUrl, "dashboard/").ToString(),
        });
        var http = new ChannelHttp(new GuardedClients(options.Value));
        var store = new ChannelStore(database, new SecretProtector(Options.Create(new SecretOptions { ProtectionKey = Host.ProtectionKey })), TimeProvider.System);
        IChannelSender[] senders = [new PagerDutyChannelSender(http, options), new SlackChannelSender(http)];
        return new ChannelNotificationSender(store, database, senders, options, new UnconfiguredEmailTransport(), TimeProvider.System, NullLogger<ChannelNotificationSender>.Instance);
    }

    private sealed class GuardedClients(NotificationOptions options) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(OutboundHttp.CreateHandler(options)) { Timeout = TimeSpan.FromSeconds(10) };
    }
}
