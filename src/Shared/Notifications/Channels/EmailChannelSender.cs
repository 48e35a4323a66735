using System.Net;
using System.Text;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// E-mail channels: the facts as an HTML and a plain-text body, to the channel's recipients, through
/// <see cref="IEmailTransport"/>; a rule group's notification lists its first alerts (and how many more).
/// </summary>
public sealed class EmailChannelSender(IEmailTransport transport) : IChannelSender
{
    public string Type => ChannelTypes.Email;

    public Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct) =>
        transport.SendAsync(Message(channel.Recipients, facts), ct);

    public static EmailMessage Message(IReadOnlyList<string> recipients, AlertFacts facts)
    {
        var subject = facts.IsTest ? "[PulseStream] Test notification"
            : facts.IsList ? $"[PulseStream] {facts.Title} ({facts.Grouped!.Counts}, {facts.Severity})"
            : $"[PulseStream] {facts.Title} ({facts.Severity})";
        var list = facts.IsList ? facts.Grouped!.Shown.Select(facts.Line).ToList() : [];
        if (facts.IsList && facts.Grouped!.More > 0) list.Add($"…and {facts.Grouped.More} more");
        var rows = new List<(string Name, string Value)> { ("Severity", facts.Severity), ("Value", facts.ValueAgainstThreshold) };
        if (facts.Group is not null) rows.Add(("Group", facts.Group));
        if (facts.StartedAt is { } started) rows.Add(("Started", started.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)));

        var text = new StringBuilder();
        text.AppendLine(facts.Title).AppendLine();
        foreach (var (name, value) in rows) text.AppendLine($"{name}: {value}");
        if (list.Count > 0) text.AppendLine().AppendLine($"Alerts ({facts.Grouped!.Counts}):");
        foreach (var line in list) text.AppendLine($"- {line}");
        if (facts.IsTest) text.AppendLine().AppendLine("This is a test: the channel works.");
        if (facts.Link is not null) text.AppendLine().AppendLine($"Open: {facts.Link}");

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        html.Append($"<h2>{WebUtility.HtmlEncode(facts.Title)}</h2><table cellpadding=\"4\">");
        foreach (var (name, value) in rows) html.Append($"<tr><th align=\"left\">{WebUtility.HtmlEncode(name)}</th><td>{WebUtility.HtmlEncode(value)}</td></tr>");
        html.Append("</table>");
        if (list.Count > 0)
        {
            html.Append($"<h3>Alerts ({WebUtility.HtmlEncode(facts.Grouped!.Counts)})</h3><ul>");
            foreach (var line in list) html.Append($"<li>{WebUtility.HtmlEncode(line)}</li>");
            html.Append("</ul>");
        }
        if (facts.IsTest) html.Append("<p>This is a test: the channel works.</p>");
        if (facts.Link is not null) html.Append($"<p><a href=\"{WebUtility.HtmlEncode(facts.Link)}\">Open in PulseStream</a></p>");
        html.Append("</body></html>");
        return new EmailMessage(recipients, subject, text.ToString(), html.ToString());
    }
}
