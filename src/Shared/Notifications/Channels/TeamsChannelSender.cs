using System.Text.Json;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// Microsoft Teams (a Workflows "post to a channel when a webhook request is received" URL, or a legacy incoming
/// webhook): a message with one Adaptive Card carrying the same facts as Slack's, and a button to the alert; a rule
/// group's notification lists its first alerts (and how many more) below them.
/// </summary>
public sealed class TeamsChannelSender(ChannelHttp http) : IChannelSender
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

    public string Type => ChannelTypes.Teams;

    public async Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct) =>
        (await http.PostAsync(secrets.Target, ChannelHttp.Json(JsonSerializer.SerializeToUtf8Bytes(Message(facts))), null, ct)).Outcome;

    public static object Message(AlertFacts facts)
    {
        var rows = new List<object> { new { title = "Severity", value = facts.Severity }, new { title = "Value", value = facts.ValueAgainstThreshold } };
        if (facts.Group is not null) rows.Add(new { title = "Group", value = facts.Group });
        if (facts.StartedAt is { } started) rows.Add(new { title = "Started", value = started.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) });
        var color = facts.IsTest ? "Accent" : facts.EventType switch { "alert.resolved" => "Good", "alert.acknowledged" => "Default", _ => facts.Severity == "critical" ? "Attention" : "Warning" };
        var card = new Dictionary<string, object?>
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = Body(facts, color, rows),
            ["actions"] = facts.Link is null ? Array.Empty<object>() : [new { type = "Action.OpenUrl", title = facts.IsTest ? "Open PulseStream" : "Open the alert", url = facts.Link }],
        };
        return new
        {
            type = "message",
            attachments = new object[] { new { contentType = AdaptiveCardContentType, contentUrl = (string?)null, content = card } },
        };
    }

    private static object[] Body(AlertFacts facts, string color, List<object> rows)
    {
        var title = facts.IsList ? $"{facts.Title} ({facts.Grouped!.Counts})" : facts.Title;
        var body = new List<object>
        {
            new { type = "TextBlock", size = "Large", weight = "Bolder", wrap = true, color, text = title },
            new { type = "FactSet", facts = rows },
        };
        if (facts.IsList)
        {
            var lines = facts.Grouped!.Shown.Select(m => $"- {facts.Line(m)}").ToList();
            if (facts.Grouped.More > 0) lines.Add($"…and {facts.Grouped.More} more");
            body.Add(new { type = "TextBlock", wrap = true, text = string.Join("\n", lines) });
        }
        return [.. body];
    }
}
