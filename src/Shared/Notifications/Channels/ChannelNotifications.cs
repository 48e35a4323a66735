using System.Globalization;
using System.Text.Json;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// The facts every channel renders, read from a notification: which alert, what happened to it, its value against
/// the rule's threshold, its group, and the link to it in the dashboard. A rule group's notification carries the
/// listing too (<paramref name="Grouped"/>); the single alert's facts are its lead's. An anomaly alert carries its
/// explanation (<paramref name="Anomaly"/>), which messages quote instead of a threshold the rule does not have.
/// </summary>
public sealed record AlertFacts(string EventType, Guid? AlertId, string RuleName, string State, string Severity, double? Value, string? Group,
    DateTimeOffset? StartedAt, string? Metric, string? Operator, double? Threshold, string? Link, GroupFacts? Grouped = null, AnomalyFacts? Anomaly = null)
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

    /// <summary>Whether to render a list: a group notification of more than one alert (one alert reads as before).</summary>
    public bool IsList => Grouped is { Listed: > 1 };

    /// <summary>
    /// One listed alert in a line: "firing · route=/v1/a · 12.5% (threshold > 5%)"; an anomaly alert against its own
    /// band, without its drivers: "firing · route=/v1/a · observed 150, expected 10 (band 2–25), 14.2σ above".
    /// </summary>
    public string Line(GroupMember member) =>
        $"{member.State} · {member.Group ?? "all requests"} · {(member.Anomaly is { } anomaly ? Band(anomaly)
            : member.Value is null ? "n/a"
            : Threshold is null || Anomaly is not null ? Format(member.Value.Value)
            : $"{Format(member.Value.Value)} (threshold {Operator ?? ">"} {Format(Threshold.Value)})")}";

    /// <summary>
    /// "12.5% (threshold > 5%)", in the metric's unit; for an anomaly, "observed 150, expected 10 (band 2–25), 14.2σ
    /// above; most of the change: route /v1/a +140 (100%)".
    /// </summary>
    public string ValueAgainstThreshold =>
        Anomaly is { } anomaly ? Explained(anomaly)
        : Value is null ? "n/a" : Threshold is null ? Format(Value.Value) : $"{Format(Value.Value)} (threshold {Operator ?? ">"} {Format(Threshold.Value)})";

    private string Band(AnomalyFacts a) => a is { Expected: { } expected, Lower: { } lower, Upper: { } upper, Sigmas: { } sigmas }
        ? $"observed {Format(a.Observed)}, expected {Format(expected)} (band {Format(Math.Max(0, lower))}–{Format(upper)}), {Math.Abs(sigmas).ToString("0.#", CultureInfo.InvariantCulture)}σ {a.Direction}"
        : $"observed {Format(a.Observed)}, fired by its fallback threshold while the group warms up";

    private string Explained(AnomalyFacts a)
    {
        var band = Band(a);
        if (a.Drivers.Count == 0) return band;
        var basis = this with { Metric = a.Basis ?? Metric };
        return $"{band}; most of the change: " + string.Join(", ", a.Drivers.Select(d =>
            $"{(d.Dimension == "consumerId" ? "consumer" : d.Dimension)} {(d.Method is null ? "" : d.Method + " ")}{d.Value ?? "(none)"} {(d.Contribution >= 0 ? "+" : "−")}{basis.Format(Math.Abs(d.Contribution))}{(d.Share is { } share ? $" ({(share * 100).ToString("0", CultureInfo.InvariantCulture)}%)" : "")}"));
    }

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
        var anomaly = alert.ValueKind == JsonValueKind.Object && alert.TryGetProperty("explanation", out var e) && e.ValueKind == JsonValueKind.Object ? AnomalyFacts.Of(e) : null;
        return new AlertFacts(notification.EventType, alertId, Text("ruleName") ?? "Alert", Text("state") ?? "firing", Text("severity") ?? "warning",
            Number("value"), Text("group") is { Length: > 0 } g ? g : null, DateTimeOffset.TryParse(Text("startedAt"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var s) ? s : null,
            anomaly?.Metric ?? Text("metric") ?? condition?.Metric, Text("operator") ?? condition?.Operator, Number("threshold") ?? condition?.Threshold, link,
            notification.Group is { } listing ? GroupFacts.Of(listing) : null, anomaly);
    }
}

/// <summary>
/// A group notification's listing as messages render it: the counts, the group's key (PagerDuty's incident), and the
/// first <see cref="MaxShown"/> alerts (a message says "and N more" for the rest; the webhook carries them all).
/// </summary>
public sealed record GroupFacts(Guid? RuleId, string? DedupKey, int Firing, int Acknowledged, int Resolved, int Open, int Listed, IReadOnlyList<GroupMember> Shown)
{
    public const int MaxShown = 20;

    public int More => Listed - Shown.Count;

    /// <summary>"3 firing, 1 resolved".</summary>
    public string Counts => string.Join(", ", new[] { (Firing, "firing"), (Acknowledged, "acknowledged"), (Resolved, "resolved") }
        .Where(c => c.Item1 > 0).Select(c => $"{c.Item1} {c.Item2}"));

    public static GroupFacts Of(GroupListing listing)
    {
        var summary = listing.Summary;
        int Count(string name) => summary.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : 0;
        var shown = new List<GroupMember>();
        var listed = 0;
        foreach (var alert in listing.Alerts.EnumerateArray())
        {
            if (listed++ >= MaxShown || alert.ValueKind != JsonValueKind.Object) continue;
            string? Text(string name) => alert.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            shown.Add(new GroupMember(Text("state") ?? "firing", Text("group") is { Length: > 0 } g ? g : null,
                alert.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null,
                alert.TryGetProperty("explanation", out var e) && e.ValueKind == JsonValueKind.Object ? AnomalyFacts.Of(e) : null));
        }
        var ruleId = summary.TryGetProperty("ruleId", out var r) && r.ValueKind == JsonValueKind.String && Guid.TryParse(r.GetString(), out var id) ? id : (Guid?)null;
        var key = summary.TryGetProperty("dedupKey", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        return new GroupFacts(ruleId, key, Count("firing"), Count("acknowledged"), Count("resolved"), Count("open"), listed, shown);
    }
}

/// <summary>
/// The part of an anomaly alert's explanation (<see cref="Anomalies.AnomalyExplanation"/>) messages quote: the band and
/// the observed value, and the route and the consumer that moved the metric most (in the explanation's basis).
/// </summary>
public sealed record AnomalyFacts(string? Metric, string? Basis, double Observed, double? Expected, double? Lower, double? Upper, double? Sigmas, string Direction,
    IReadOnlyList<AnomalyDriver> Drivers)
{
    public static AnomalyFacts? Of(JsonElement explanation)
    {
        double? Number(JsonElement on, string name) => on.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        string? Text(JsonElement on, string name) => on.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (Number(explanation, "observed") is not { } observed) return null;
        var drivers = explanation.TryGetProperty("contributors", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Object && Number(c, "contribution") is not null)
                .GroupBy(c => Text(c, "dimension") ?? "").Select(d => d.First())
                .Select(c => new AnomalyDriver(Text(c, "dimension") ?? "", Text(c, "value"), Text(c, "method"), Number(c, "contribution")!.Value, Number(c, "share"))).ToList()
            : [];
        var basis = explanation.TryGetProperty("comparison", out var comparison) && comparison.ValueKind == JsonValueKind.Object ? Text(comparison, "basis") : null;
        return new AnomalyFacts(Text(explanation, "metric"), basis, observed, Number(explanation, "expected"), Number(explanation, "lower"), Number(explanation, "upper"),
            Number(explanation, "sigmas"), Text(explanation, "direction") ?? "outside its band", drivers);
    }
}

/// <summary>A route or consumer that moved an anomaly's metric most: by how much (in the basis' units) and which share of the change.</summary>
public sealed record AnomalyDriver(string Dimension, string? Value, string? Method, double Contribution, double? Share);

/// <summary>A listed alert: its state, group and value, and, for an anomaly alert, its explanation's band.</summary>
public sealed record GroupMember(string State, string? Group, double? Value, AnomalyFacts? Anomaly = null);

/// <summary>The part of a rule's condition the messages quote.</summary>
public sealed record RuleCondition(string? Metric, string? Operator, double? Threshold);
