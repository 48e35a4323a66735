using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// How a rule's notification group is sent, Alertmanager's three timings: <paramref name="GroupWait"/> before a new
/// group's first notification (so the alerts that fire together are told together), <paramref name="GroupInterval"/>
/// between a group's notifications of later changes (0: each change goes out at once), and
/// <paramref name="RepeatInterval"/> before a group whose alerts still fire unacknowledged is sent again.
/// </summary>
public sealed record GroupTiming(TimeSpan GroupWait, TimeSpan GroupInterval, TimeSpan RepeatInterval)
{
    public const string DefaultGroupWait = "30s";
    public const string DefaultGroupInterval = "5m";
    public const string DefaultRepeatInterval = "4h";

    public static readonly TimeSpan MaxGroupWait = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxGroupInterval = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxRepeatInterval = TimeSpan.FromDays(7);

    /// <summary>The timings of a rule body's texts, each its default when absent (or unreadable: the body was validated when written).</summary>
    public static GroupTiming Of(string? groupWait, string? groupInterval, string? repeatInterval) =>
        new(Read(groupWait, DefaultGroupWait), Read(groupInterval, DefaultGroupInterval), Read(repeatInterval, DefaultRepeatInterval));

    private static TimeSpan Read(string? text, string fallback) =>
        Durations.TryParse(text ?? fallback, out var d) ? d : Durations.TryParse(fallback, out var f) ? f : TimeSpan.Zero;
}

/// <summary>The rule body's checks of <c>groupWait</c>, <c>groupInterval</c> and <c>repeatInterval</c>.</summary>
internal static class GroupTimingRules
{
    public static void Validate(AlertRuleBody rule, List<FieldError> errors)
    {
        TimeSpan? wait = Check(rule.GroupWait, "groupWait", TimeSpan.Zero, GroupTiming.MaxGroupWait, "from 0s to 1h, like 0s, 30s or 5m", errors);
        TimeSpan? interval = Check(rule.GroupInterval, "groupInterval", TimeSpan.Zero, GroupTiming.MaxGroupInterval,
            "from 0s (each change goes out at once) to 24h, like 0s, 5m or 1h", errors);
        TimeSpan? repeat = Check(rule.RepeatInterval, "repeatInterval", TimeSpan.FromMinutes(1), GroupTiming.MaxRepeatInterval, "from 1m to 7d, like 1h, 4h or 1d", errors);
        if (wait is null || interval is null || repeat is null) return;
        var timing = GroupTiming.Of(rule.GroupWait, rule.GroupInterval, rule.RepeatInterval);
        if (timing.RepeatInterval < timing.GroupInterval)
            errors.Add(new(rule.RepeatInterval is null ? "groupInterval" : "repeatInterval",
                $"repeatInterval ({rule.RepeatInterval ?? GroupTiming.DefaultRepeatInterval}) must be at least groupInterval ({rule.GroupInterval ?? GroupTiming.DefaultGroupInterval})."));
    }

    /// <summary>The duration of a field that is absent or valid (absent: zero); null after adding its error.</summary>
    private static TimeSpan? Check(string? text, string field, TimeSpan min, TimeSpan max, string expected, List<FieldError> errors)
    {
        if (text is null) return TimeSpan.Zero;
        if (Durations.TryParse(text, out var d) && d >= min && d <= max) return d;
        errors.Add(new(field, $"Must be a duration {expected}."));
        return null;
    }
}
