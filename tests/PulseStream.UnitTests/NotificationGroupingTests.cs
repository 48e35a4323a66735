using System.Text.Json;
using PulseStream.Alerting;
using PulseStream.Alerting.Routing;
using PulseStream.Notifications;
using PulseStream.Notifications.Channels;

namespace PulseStream.UnitTests;

/// <summary>
/// Notification grouping's logic: the rule fields' bounds, what a flush lists and keeps, the group notification's
/// event and payload, and how each sender renders a listing.
/// </summary>
public class NotificationGroupingTests
{
    private static AlertRuleBody Rule(string? wait = null, string? interval = null, string? repeat = null) =>
        new("r", true, "critical", new Alerting.RuleCondition("threshold", "error_rate", ">", 0.2, "5m"), "0s", null, null,
            GroupWait: wait, GroupInterval: interval, RepeatInterval: repeat);

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("0s", "0s", "1m")]
    [InlineData("1h", "24h", "7d")]
    [InlineData("10s", "1m", "1m")]
    public void Valid_grouping_timings_pass(string? wait, string? interval, string? repeat) =>
        Assert.Empty(AlertRuleValidator.Validate(Rule(wait, interval, repeat)));

    [Theory]
    [InlineData("61m", null, null, "groupWait")]
    [InlineData("soon", null, null, "groupWait")]
    [InlineData(null, "25h", null, "groupInterval")]
    [InlineData(null, null, "8d", "repeatInterval")]
    [InlineData(null, null, "30s", "repeatInterval")]
    [InlineData(null, "10m", "5m", "repeatInterval")]
    [InlineData(null, "5h", null, "groupInterval")]
    public void Grouping_timings_out_of_bounds_name_their_field(string? wait, string? interval, string? repeat, string field) =>
        Assert.Equal([field], AlertRuleValidator.Validate(Rule(wait, interval, repeat)).Select(e => e.Field));

    [Fact]
    public void A_rule_without_timings_uses_alertmanagers_defaults() =>
        Assert.Equal(new GroupTiming(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromHours(4)),
            new AlertRule(Guid.NewGuid(), Rule(), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow).Grouping);

    private static readonly Guid RuleId = Guid.NewGuid();
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static AlertView View(string state, int n, Muting? silenced = null) =>
        new(Guid.NewGuid(), RuleId, "Checkout errors", state, "critical", T0, 0.3 + n / 100.0, $"route=/v1/{n}", FiringAt: T0.AddSeconds(n), Silenced: silenced);

    [Fact]
    public void A_flush_lists_firing_alerts_and_news_of_told_ones_and_lets_resolved_ones_leave()
    {
        var firing = View("firing", 2);
        var muted = View("firing", 3, new Muting("silence", Guid.NewGuid(), T0.AddHours(1)));
        var ackTold = View("acknowledged", 4);
        var ackUntold = View("acknowledged", 5);
        var ackOld = View("acknowledged", 6);
        var resolvedTold = View("resolved", 7);
        var resolvedUntold = View("resolved", 8);
        var gone = Guid.NewGuid();
        var members = new Dictionary<Guid, (bool Notified, bool Changed)>
        {
            [firing.Id] = (false, true), [muted.Id] = (true, false), [ackTold.Id] = (true, true), [ackUntold.Id] = (false, true),
            [ackOld.Id] = (true, false), [resolvedTold.Id] = (true, true), [resolvedUntold.Id] = (false, true), [gone] = (true, false),
        };
        var plan = GroupFlushPlan.Of([firing, muted, ackTold, ackUntold, ackOld, resolvedTold, resolvedUntold], members);

        Assert.Equal([firing.Id, ackTold.Id, resolvedTold.Id], plan.Listed.Select(a => a.Id));
        Assert.Equal(new[] { resolvedTold.Id, resolvedUntold.Id, gone }.Order(), plan.Leaving.Order());
        Assert.Equal(5, plan.OpenAfter);
        Assert.Equal(2, plan.Firing); // the muted one fires too: the group repeats for it
    }

    [Theory]
    [InlineData(new[] { "resolved", "firing" }, "alert.firing")]
    [InlineData(new[] { "resolved", "acknowledged" }, "alert.acknowledged")]
    [InlineData(new[] { "resolved", "resolved" }, "alert.resolved")]
    public void A_group_notification_is_firing_while_a_listed_alert_fires(string[] states, string eventType)
    {
        var notice = GroupNotice.Of(RuleId, states.Select((s, i) => View(s, i)).ToList(), 1);
        Assert.Equal(eventType, notice.EventType);
        Assert.Equal(notice.Listed[0], notice.Lead);
        Assert.Equal(eventType == "alert.firing" ? "firing" : eventType == "alert.acknowledged" ? "acknowledged" : "resolved", notice.Lead.State);
    }

    private static Notification Grouped(int firing, int resolved, int open)
    {
        var alerts = Enumerable.Range(0, firing).Select(i => View("firing", i)).Concat(Enumerable.Range(0, resolved).Select(i => View("resolved", 100 + i))).ToList();
        var notice = GroupNotice.Of(RuleId, alerts, open);
        var payload = JsonSerializer.SerializeToElement(notice.Payload, Http.Json.Options);
        var (alert, group) = GroupListing.Split(payload);
        return new Notification(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), notice.Lead.Id, notice.EventType, alert, 1, group);
    }

    [Fact]
    public void A_stored_group_payload_splits_into_its_lead_and_listing_and_a_single_alert_stays_as_it_is()
    {
        var notification = Grouped(3, 1, 3);
        Assert.Equal("firing", notification.Alert.GetProperty("state").GetString());
        Assert.Equal(4, notification.Group!.Alerts.GetArrayLength());
        Assert.Equal(1, notification.Group.Summary.GetProperty("resolved").GetInt32());

        var single = JsonSerializer.SerializeToElement(View("firing", 1), Http.Json.Options);
        var (alert, group) = GroupListing.Split(single);
        Assert.Null(group);
        Assert.Equal(single.GetRawText(), alert.GetRawText());
    }

    private static AlertFacts Facts(Notification n) => ChannelNotifications.Facts(n, new Notifications.Channels.RuleCondition("error_rate", ">", 0.2), null);

    [Fact]
    public void Slack_teams_and_email_list_the_first_20_alerts_and_how_many_more()
    {
        var facts = Facts(Grouped(25, 2, 25));
        Assert.Equal(27, facts.Grouped!.Listed);
        Assert.Equal(7, facts.Grouped.More);
        Assert.Equal("25 firing, 2 resolved", facts.Grouped.Counts);

        var slack = JsonSerializer.Serialize(SlackChannelSender.Message(facts));
        Assert.Contains("Firing: Checkout errors (25 firing, 2 resolved)", slack);
        Assert.Contains("…and 7 more", JsonSerializer.Deserialize<JsonElement>(slack).GetProperty("blocks")[2].GetProperty("text").GetProperty("text").GetString());
        Assert.Contains("route=/v1/0", slack);

        var teams = JsonSerializer.Serialize(TeamsChannelSender.Message(facts));
        Assert.Contains("…and 7 more", JsonSerializer.Deserialize<JsonElement>(teams).GetRawText().Replace("\\u2026", "…"));

        var mail = EmailChannelSender.Message(["ops@example.com"], facts);
        Assert.Contains("(25 firing, 2 resolved, critical)", mail.Subject);
        Assert.Contains("…and 7 more", mail.PlainText);
        Assert.Equal(20, mail.PlainText.Split('\n').Count(l => l.StartsWith("- firing", StringComparison.Ordinal)));
        Assert.Contains("<li>", mail.Html);
    }

    [Fact]
    public void A_group_of_one_alert_reads_as_a_single_alert_did()
    {
        var facts = Facts(Grouped(1, 0, 1));
        Assert.False(facts.IsList);
        var single = Facts(new Notification(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), facts.AlertId, "alert.firing",
            Grouped(1, 0, 1).Alert, 1));
        Assert.Equal(JsonSerializer.Serialize(SlackChannelSender.Message(single)), JsonSerializer.Serialize(SlackChannelSender.Message(facts)));
    }

    [Theory]
    [InlineData(2, 0, 2, "trigger")]
    [InlineData(0, 1, 1, "acknowledge")]
    [InlineData(0, 3, 0, "resolve")]
    public void PagerDuty_has_one_incident_per_rule_group(int firing, int resolved, int open, string action)
    {
        var facts = Facts(Grouped(firing, resolved, open));
        Assert.Equal(action, PagerDutyChannelSender.GroupAction(facts.Grouped!));
        Assert.Equal($"pulsestream-rule-{RuleId}", facts.Grouped!.DedupKey);
    }
    [Fact]
    public void A_grouped_anomaly_notification_lists_each_alert_against_its_band_not_a_threshold()
    {
        Anomalies.AnomalyExplanation Band(double observed) => new("request_count", "daily", T0.AddMinutes(-10), T0, 10, 2, 25, observed, 14.2, "above", null, [], null);
        var alerts = new[] { View("firing", 1) with { Value = 3.1, Explanation = Band(150) }, View("firing", 2) with { Value = 2.0, Explanation = Band(90) } };
        var notice = GroupNotice.Of(RuleId, alerts.ToList(), 2);
        var (alert, group) = GroupListing.Split(JsonSerializer.SerializeToElement(notice.Payload, Http.Json.Options));
        // The rule's own condition is the derived score threshold, which means nothing to the reader.
        var facts = ChannelNotifications.Facts(new Notification(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), notice.Lead.Id, notice.EventType, alert, 1, group),
            new Notifications.Channels.RuleCondition("anomaly_score", ">=", 1), null);

        Assert.True(facts.IsList);
        Assert.Equal("firing · route=/v1/1 · observed 150, expected 10 (band 2–25), 14.2σ above", facts.Line(facts.Grouped!.Shown[0]));
        Assert.Equal("firing · route=/v1/2 · observed 90, expected 10 (band 2–25), 14.2σ above", facts.Line(facts.Grouped.Shown[1]));
        Assert.DoesNotContain("threshold", JsonSerializer.Serialize(SlackChannelSender.Message(facts)));
    }
}
