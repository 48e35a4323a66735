using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// What <c>./pulse up --demo-traffic</c> shows a newcomer: the seeded demo rule fires on an error burst and its alert
/// reaches the local host's three sinks, a signed webhook, a Slack Block Kit message and an e-mail a person reads at
/// <c>/local/mail</c>, through the real outbox, channels and SMTP server.
/// </summary>
public class DemoAlertTests
{
    [Fact]
    public async Task The_demo_rule_fires_and_its_alert_reaches_the_webhook_slack_and_mail_sinks()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_demo_alert");
        using var http = new HttpClient { BaseAddress = host.BaseUrl };

        // The demo rule: error_rate > 10% over 1m with at least 20 requests, for 30s.
        var delivered = await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var burst = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 25).Select(_ => Payloads.Event("/v1/demo", 500, 40))), host.Demo.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, burst.StatusCode);
            var (webhooks, slack, mail) = (await SinkAsync(http, "local/webhook-sink"), await SinkAsync(http, "local/format-sink"), await SinkAsync(http, "local/mail"));
            return webhooks.Contains("alert.firing", StringComparison.Ordinal) && slack.Contains("High error rate", StringComparison.Ordinal)
                && mail.Contains("High error rate", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(120));
        Assert.True(delivered, "the demo alert did not reach every sink\n" + host.Output);

        using var webhooks = JsonDocument.Parse(await SinkAsync(http, "local/webhook-sink"));
        Assert.Contains(webhooks.RootElement.EnumerateArray(), w => w.GetProperty("signatureValid").GetBoolean());
        using var mails = JsonDocument.Parse(await SinkAsync(http, "local/mail"));
        var mail = mails.RootElement.EnumerateArray().First(m => m.GetProperty("subject").GetString()!.Contains("High error rate", StringComparison.Ordinal));
        Assert.Contains(host.Demo.Email, mail.GetProperty("to").EnumerateArray().Select(t => t.GetString()));
        // The HTML part is there to read, as a person would open it from the list.
        using var html = await http.GetAsync(mail.GetProperty("html").GetString()!.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Contains("High error rate", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<string> SinkAsync(HttpClient http, string path) => await http.GetStringAsync(path);
}
