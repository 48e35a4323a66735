namespace PulseStream.Alerting;

public enum AlertState { Pending, Firing, Acknowledged, Resolved }

/// <summary>The open alert of one rule and group, as the state machine sees it.</summary>
public sealed record OpenAlert(Guid Id, AlertState State, DateTimeOffset StartedAt);

/// <summary>What evaluation decided for one rule and group.</summary>
public enum AlertTransition { None, StartPending, StartFiring, Fire, Resolve, DropPending }

/// <summary>
/// Threshold alerts with a <c>for</c> duration, as in Prometheus: a met condition opens a pending alert, which fires
/// once the condition has held for <c>for</c>; a pending alert whose condition clears is dropped; a firing or
/// acknowledged alert whose condition clears resolves.
/// </summary>
public static class AlertStateMachine
{
    public static AlertTransition Next(OpenAlert? current, bool conditionMet, DateTimeOffset now, TimeSpan forDuration)
    {
        if (current is null)
            return !conditionMet ? AlertTransition.None : forDuration <= TimeSpan.Zero ? AlertTransition.StartFiring : AlertTransition.StartPending;
        return current.State switch
        {
            AlertState.Pending when !conditionMet => AlertTransition.DropPending,
            AlertState.Pending when now - current.StartedAt >= forDuration => AlertTransition.Fire,
            AlertState.Firing or AlertState.Acknowledged when !conditionMet => AlertTransition.Resolve,
            _ => AlertTransition.None,
        };
    }

    public static bool Compare(double value, string op, double threshold) => op switch
    {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        _ => false,
    };

    public static string ToText(AlertState state) => state.ToString().ToLowerInvariant();

    public static AlertState Parse(string text) => Enum.Parse<AlertState>(text, ignoreCase: true);
}
