namespace PulseStream.Alerting;

public enum AlertState { Pending, Firing, Acknowledged, Resolved }

/// <summary>
/// The open alert of one rule and group, as the state machine sees it. <paramref name="ClearedAt"/>: when the condition
/// of a firing (or acknowledged) alert last cleared while <c>keepFiringFor</c> holds it firing; null while it holds.
/// <paramref name="FlappingSince"/>: since when it flaps (<see cref="AlertFlapping"/>); null when it does not.
/// </summary>
public sealed record OpenAlert(Guid Id, AlertState State, DateTimeOffset StartedAt, DateTimeOffset? ClearedAt = null, DateTimeOffset? FlappingSince = null);

/// <summary>
/// What evaluation decided for one rule and group. <see cref="StartClearing"/> and <see cref="StopClearing"/> change no
/// state and notify nobody: they start and reset the <c>keepFiringFor</c> clock of a firing or acknowledged alert.
/// <see cref="StartFlapping"/> and <see cref="StopFlapping"/> change no state either: flap detection
/// (<see cref="AlertFlapping"/>) marks an open alert flapping instead of resolving it, and ends that mark on one that
/// goes on firing.
/// </summary>
public enum AlertTransition { None, StartPending, StartFiring, Fire, Resolve, DropPending, StartClearing, StopClearing, StartFlapping, StopFlapping }

/// <summary>What one evaluation read for one group of a rule (<see cref="GroupReadings"/>).</summary>
public enum GroupReading
{
    /// <summary>The value is past the threshold: the condition holds.</summary>
    Met,
    /// <summary>The condition does not hold, but the value is not past the recovery threshold: a firing alert stays.</summary>
    Held,
    /// <summary>The condition does not hold and the value is past the recovery threshold (or the rule has none).</summary>
    Cleared,
    /// <summary>The group had no requests for the rule's <c>noDataFor</c>: the rule's <c>noData</c> decides.</summary>
    NoData,
    /// <summary>No requests in the window yet, but not for <c>noDataFor</c>: nothing changes until it is one or the other.</summary>
    Waiting,
}

/// <summary>What a rule does with a group that has had no data for its <c>noDataFor</c> (the rule's <c>noData</c>).</summary>
public enum NoDataPolicy
{
    /// <summary>The condition does not hold (the behaviour before <c>noData</c> existed).</summary>
    Ok,
    /// <summary>The condition holds: the group alerts (after <c>for</c>, as any met condition).</summary>
    Alerting,
    /// <summary>Nothing changes: an open alert stays as it is, and no alert opens.</summary>
    KeepState,
}

/// <summary>A rule's timing, as the state machine uses it: <c>for</c>, <c>keepFiringFor</c> and <c>noData</c>.</summary>
public sealed record AlertTiming(TimeSpan For, TimeSpan KeepFiringFor = default, NoDataPolicy NoData = NoDataPolicy.Ok);

/// <summary>
/// Threshold alerts with a <c>for</c> duration, as in Prometheus: a met condition opens a pending alert, which fires
/// once the condition has held for <c>for</c>; a pending alert whose condition stops holding is dropped. A firing or
/// acknowledged alert resolves once its value is past the recovery threshold (hysteresis: between the two it stays,
/// <see cref="GroupReading.Held"/>) and, with <c>keepFiringFor</c>, only once that much time has passed since it first
/// cleared; the condition holding again meanwhile resets that clock, and the alert simply goes on firing. A group
/// without data for <c>noDataFor</c> reads as the rule's <see cref="NoDataPolicy"/> says.
/// </summary>
public static class AlertStateMachine
{
    public static AlertTransition Next(OpenAlert? current, GroupReading reading, DateTimeOffset now, AlertTiming timing)
    {
        var effective = reading switch
        {
            GroupReading.NoData => timing.NoData switch
            {
                NoDataPolicy.Alerting => GroupReading.Met,
                NoDataPolicy.KeepState => GroupReading.Waiting,
                _ => GroupReading.Cleared,
            },
            _ => reading,
        };
        if (effective == GroupReading.Waiting) return AlertTransition.None;
        var met = effective == GroupReading.Met;
        if (current is null)
            return !met ? AlertTransition.None : timing.For <= TimeSpan.Zero ? AlertTransition.StartFiring : AlertTransition.StartPending;
        return current.State switch
        {
            AlertState.Pending when !met => AlertTransition.DropPending,
            AlertState.Pending when now - current.StartedAt >= timing.For => AlertTransition.Fire,
            AlertState.Firing or AlertState.Acknowledged => FiringNext(current, effective, now, timing.KeepFiringFor),
            _ => AlertTransition.None,
        };
    }

    private static AlertTransition FiringNext(OpenAlert current, GroupReading reading, DateTimeOffset now, TimeSpan keepFiringFor) => reading switch
    {
        GroupReading.Met => current.ClearedAt is null ? AlertTransition.None : AlertTransition.StopClearing,
        GroupReading.Cleared when keepFiringFor <= TimeSpan.Zero => AlertTransition.Resolve,
        GroupReading.Cleared when current.ClearedAt is not { } clearedAt => AlertTransition.StartClearing,
        GroupReading.Cleared when now - current.ClearedAt.Value >= keepFiringFor => AlertTransition.Resolve,
        // Held (between the thresholds) or still within keepFiringFor: it goes on firing, its clock running.
        _ => AlertTransition.None,
    };

    /// <summary>The state machine before hysteresis and no data: a condition met or not, with <c>for</c>.</summary>
    public static AlertTransition Next(OpenAlert? current, bool conditionMet, DateTimeOffset now, TimeSpan forDuration) =>
        Next(current, conditionMet ? GroupReading.Met : GroupReading.Cleared, now, new AlertTiming(forDuration));

    public static bool Compare(double value, string op, double threshold) => op switch
    {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        _ => false,
    };

    /// <summary>
    /// Whether <paramref name="value"/> is past <paramref name="recoveryThreshold"/> on the recovering side of a rule
    /// with <paramref name="op"/>: below it for <c>&gt;</c> and <c>&gt;=</c> rules, above it for <c>&lt;</c> and <c>&lt;=</c>.
    /// </summary>
    public static bool Recovered(double value, string op, double recoveryThreshold) => op is ">" or ">=" ? value < recoveryThreshold : value > recoveryThreshold;

    public static string ToText(AlertState state) => state.ToString().ToLowerInvariant();

    public static AlertState Parse(string text) => Enum.Parse<AlertState>(text, ignoreCase: true);
}
