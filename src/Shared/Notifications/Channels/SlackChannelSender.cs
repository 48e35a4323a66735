using System.Text.Json;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// Slack incoming webhooks: a Block Kit message (header with the state and rule, fields for severity, value against
/// threshold, group and start, a button to the alert in the dashboard) and a plain <c>text</c> for notifications. A
/// rule group's notification adds its counts to the header and lists its first alerts (and how many more).
/// Slack answers 200 <c>ok</c>; 400/403/404/410 mean the payload, token or channel is wrong, and are permanent.
/// </summary>
public sealed class SlackChannelSender(ChannelHttp http) : IChannelSender
{
    public string Type => ChannelTypes.Slack;

    public async Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct) =>
        (await http.PostAsync(secrets.Target, ChannelHttp.Json(JsonSerializer.SerializeToUtf8Bytes(Message(facts))), null, ct)).Outcome;

    public static object Message(AlertFacts facts)
    {
        var fields = new List<object>
        {
            Field("Severity", facts.Severity),
            Field("Value", facts.ValueAgainstThreshold),
        };
        if (facts.Group is not null) fields.Add(Field("Group", facts.Group));
        if (facts.StartedAt is { } started) fields.Add(Field("Started", started.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)));
        var title = facts.IsList ? $"{facts.Title} ({facts.Grouped!.Counts})" : facts.Title;
        var blocks = new List<object>
        {
            new { type = "header", text = new { type = "plain_text", text = Limit($"{Emoji(facts)} {title}", 150), emoji = true } },
            new { type = "section", fields },
        };
        if (facts.IsList)
        {
            var lines = facts.Grouped!.Shown.Select(m => $"• {Escape(facts.Line(m))}").ToList();
            if (facts.Grouped.More > 0) lines.Add($"…and {facts.Grouped.More} more");
            blocks.Add(new { type = "section", text = new { type = "mrkdwn", text = Limit(string.Join("\n", lines), 3000) } });
        }
        if (facts.Link is not null)
            blocks.Add(new
            {
                type = "actions",
                elements = new object[] { new { type = "button", text = new { type = "plain_text", text = facts.IsTest ? "Open PulseStream" : "Open the alert" }, url = facts.Link } },
            });
        return new { text = Escape($"{title} ({facts.Severity}): {facts.ValueAgainstThreshold}"), blocks };
    }

    private static object Field(string name, string value) => new { type = "mrkdwn", text = $"*{name}*\n{Escape(value)}" };

    private static string Emoji(AlertFacts facts) => facts.IsTest ? ":information_source:" : facts.EventType switch
    {
        "alert.resolved" => ":large_green_circle:",
        "alert.acknowledged" => ":eyes:",
        _ => facts.Severity == "critical" ? ":red_circle:" : ":large_orange_circle:",
    };

    // Slack's mrkdwn control characters (api.slack.com, "Formatting text": escaping).
    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Limit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
