using System.Globalization;
using System.Text.Json;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// The facts every channel renders, read from a notification: which alert, what happened to it, its value against
/// the rule's threshold, its group, and the link to it in the dashboard.
/// </summary>
public sealed record AlertFacts(string EventType, Guid? AlertId, string RuleName, string State, string Severity, double? Value, string? Group,
    DateTimeOffset? StartedAt, string? Metric, string? Operator, double? Threshold, string? Link)
{
    public bool IsTest => EventType == ChannelNotifications.TestEvent;

    /// <summary>"Firing", "Acknowledged", "Resolved" or "Test".</summary>
    public string Headline => IsTest ? "Test" : EventType switch
    {
        "alert.firing" => "Firing",
        "alert.acknowledged" => "Acknowledged",
        "alert.resolved" => "Resolved",
        _ => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(State),
    };

    public string Title => IsTest ? "Test notification from PulseStream" : $"{Headline}: {RuleName}";

    /// <summary>"12.5% (threshold > 5%)", in the metric's unit.</summary>
    public string ValueAgainstThreshold =>
        Value is null ? "n/a" : Threshold is null ? Format(Value.Value) : $"{Format(Value.Value)} (threshold {Operator ?? ">"} {Format(Threshold.Value)})";

    public string Format(double value) => Metric switch
    {
        "error_rate" or "client_error_rate" => (value * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%",
        "request_count" => value.ToString("0", CultureInfo.InvariantCulture),
        { } m when m.StartsWith("latency", StringComparison.Ordinal) => value.ToString("0.#", CultureInfo.InvariantCulture) + " ms",
        _ => value.ToString("0.####", CultureInfo.InvariantCulture),
    };
}

/// <summary>Reading <see cref="AlertFacts"/> out of a notification, and the test notification's sample alert.</summary>
public static class ChannelNotifications
{
    public const string TestEvent = "channel.test";

    /// <summary>The alert a test notification carries: clearly a test, with the shape of a real one.</summary>
    public static JsonElement TestAlert(DateTimeOffset now) => JsonSerializer.SerializeToElement(new
    {
        id = Guid.Empty,
        ruleId = Guid.Empty,
        ruleName = "Test notification",
        state = "firing",
        severity = "info",
        startedAt = now,
        value = 0.0,
        group = "",
        test = true,
    }, Http.Json.Options);

    public static AlertFacts Facts(Notification notification, RuleCondition? condition, string? dashboardUrl)
    {
        var alert = notification.Alert;
        string? Text(string name) => alert.ValueKind == JsonValueKind.Object && alert.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        double? Number(string name) => alert.ValueKind == JsonValueKind.Object && alert.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        var alertId = Guid.TryParse(Text("id"), out var id) && id != Guid.Empty ? id : notification.AlertId;
        var link = dashboardUrl is null ? null
            : alertId is null || notification.EventType == TestEvent ? dashboardUrl
            : $"{dashboardUrl.TrimEnd('/')}/#/alerts?id={alertId}";
        return new AlertFacts(notification.EventType, alertId, Text("ruleName") ?? "Alert", Text("state") ?? "firing", Text("severity") ?? "warning",
            Number("value"), Text("group") is { Length: > 0 } g ? g : null, DateTimeOffset.TryParse(Text("startedAt"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var s) ? s : null,
            Text("metric") ?? condition?.Metric, Text("operator") ?? condition?.Operator, Number("threshold") ?? condition?.Threshold, link);
    }
}

/// <summary>The part of a rule's condition the messages quote.</summary>
public sealed record RuleCondition(string? Metric, string? Operator, double? Threshold);
