using System.Text.Json;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// PagerDuty Events API v2: firing triggers, acknowledgement acknowledges and resolution resolves the incident whose
/// <c>dedup_key</c> is the alert id, so PagerDuty mirrors the alert. A rule group's notification is one event for the
/// group's incident (<c>dedup_key</c> the group's key): trigger while one of its alerts fires, acknowledge while the
/// open ones are all acknowledged, resolve once none is open. A test triggers an incident of its own
/// (<c>pulsestream-test-{channel}</c>) and resolves it at once. PagerDuty answers 202; 400 is permanent, 429 retried.
/// </summary>
public sealed class PagerDutyChannelSender(ChannelHttp http, IOptions<NotificationOptions> options) : IChannelSender
{
    public string Type => ChannelTypes.PagerDuty;

    public async Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct)
    {
        if (facts.IsTest)
        {
            var key = $"pulsestream-test-{channel.Id}";
            var trigger = await PostAsync(Event(secrets.Target, "trigger", key, facts), ct);
            if (!trigger.Delivered) return trigger;
            var resolve = await PostAsync(Event(secrets.Target, "resolve", key, facts), ct);
            return resolve with { Latency = trigger.Latency + resolve.Latency };
        }
        if (facts.Grouped is { } group)
        {
            var key = group.DedupKey ?? (group.RuleId is { } ruleId ? $"pulsestream-rule-{ruleId}" : facts.AlertId?.ToString());
            if (key is null) return SendOutcome.Success(null, TimeSpan.Zero);
            return await PostAsync(Event(secrets.Target, GroupAction(group), key, facts), ct);
        }
        var action = Action(notification.EventType);
        // Events PagerDuty has no counterpart for are not sent; there is nothing to mirror.
        if (action is null || facts.AlertId is null) return SendOutcome.Success(null, TimeSpan.Zero);
        return await PostAsync(Event(secrets.Target, action, facts.AlertId.Value.ToString(), facts), ct);
    }

    public static string? Action(string eventType) => eventType switch
    {
        "alert.firing" => "trigger",
        "alert.acknowledged" => "acknowledge",
        "alert.resolved" => "resolve",
        _ => null,
    };

    /// <summary>The event for a group's incident: what its alerts are after the notification.</summary>
    public static string GroupAction(GroupFacts group) => group.Firing > 0 ? "trigger" : group.Open > 0 ? "acknowledge" : "resolve";

    public static Dictionary<string, object?> Event(string routingKey, string action, string dedupKey, AlertFacts facts)
    {
        var body = new Dictionary<string, object?> { ["routing_key"] = routingKey, ["event_action"] = action, ["dedup_key"] = dedupKey };
        if (action != "trigger") return body;
        var summary = facts.IsTest ? facts.Title
            : facts.IsList ? $"{facts.RuleName}: {facts.Grouped!.Counts}; {facts.Group ?? "all requests"} {facts.ValueAgainstThreshold}"
            : $"{facts.RuleName}{(facts.Group is null ? "" : $" [{facts.Group}]")}: {facts.ValueAgainstThreshold}";
        body["payload"] = new Dictionary<string, object?>
        {
            ["summary"] = summary.Length > 1024 ? summary[..1024] : summary,
            ["source"] = facts.Group ?? "pulsestream",
            ["severity"] = facts.Severity is "critical" or "warning" or "info" ? facts.Severity : "error",
            ["timestamp"] = facts.StartedAt,
            ["component"] = "PulseStream",
            ["class"] = facts.Metric,
            ["custom_details"] = facts.IsList
                ? new { rule = facts.RuleName, value = facts.Value, threshold = facts.Threshold, @operator = facts.Operator, group = facts.Group,
                    alerts = facts.Grouped!.Shown.Select(facts.Line).ToArray(), more = facts.Grouped.More }
                : (object)new { rule = facts.RuleName, value = facts.Value, threshold = facts.Threshold, @operator = facts.Operator, group = facts.Group },
        };
        body["client"] = "PulseStream";
        if (facts.Link is not null)
        {
            body["client_url"] = facts.Link;
            body["links"] = new[] { new { href = facts.Link, text = "Open in PulseStream" } };
        }
        return body;
    }

    private async Task<SendOutcome> PostAsync(Dictionary<string, object?> body, CancellationToken ct) =>
        (await http.PostAsync(options.Value.PagerDutyEventsUrl, ChannelHttp.Json(JsonSerializer.SerializeToUtf8Bytes(body)), null, ct)).Outcome;
}
