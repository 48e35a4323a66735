namespace PulseStream.Alerting;

/// <summary>
/// What one evaluation reads for one group of a rule, the same for live evaluation (<see cref="AlertEvaluator"/>) and
/// the preview (<see cref="RulePreview"/>): the value against the threshold and the recovery threshold, and a group
/// without requests in the window against <c>noDataFor</c>. A <c>request_count</c> rule measures a known group without
/// requests as 0 (zero requests is its answer, not an absence of one), so <c>request_count &lt; N</c> fires on a group
/// that stopped calling, and <c>noData</c> does not apply to it.
/// </summary>
public static class GroupReadings
{
    public const string RequestCount = "request_count";

    /// <param name="value">The metric over the window; null when the group had no requests in it.</param>
    /// <param name="requests">The group's requests in the window.</param>
    /// <param name="silent">The group had no requests for the rule's <c>noDataFor</c> (only read when it had none in the window).</param>
    public static GroupReading Of(RuleCondition condition, double? value, long requests, bool silent)
    {
        if (requests <= 0)
        {
            // An anomaly rule's value is its score, which judged the silence already (Anomalies.AnomalyReads).
            if (condition.Metric == RequestCount) return OfValue(condition, condition.IsAnomaly ? value : 0, 0);
            return silent ? GroupReading.NoData : GroupReading.Waiting;
        }
        return OfValue(condition, value, requests);
    }

    /// <summary>The value an alert shows for a group read from <paramref name="value"/> (a silent group's request count is 0).</summary>
    public static double? ValueOf(RuleCondition condition, double? value, long requests) =>
        requests <= 0 && condition.Metric == RequestCount && !condition.IsAnomaly ? 0 : value;

    /// <summary>
    /// Whether a group without requests in the window could meet the condition: a <c>request_count</c> rule that zero
    /// meets, or a rule that alerts on no data. Only then does evaluation look for known groups that went silent.
    /// </summary>
    public static bool SilenceCanAlert(AlertRule rule)
    {
        var condition = rule.Body.Condition;
        return condition.Metric == RequestCount
            ? (condition.MinRequests ?? 0) <= 0 && AlertStateMachine.Compare(0, condition.Operator, condition.Threshold)
            : rule.NoData == NoDataPolicy.Alerting;
    }

    private static GroupReading OfValue(RuleCondition condition, double? value, long requests)
    {
        if (value is not { } v || requests < (condition.MinRequests ?? 0)) return GroupReading.Cleared;
        if (AlertStateMachine.Compare(v, condition.Operator, condition.Threshold)) return GroupReading.Met;
        return condition.RecoveryThreshold is { } recovery && !AlertStateMachine.Recovered(v, condition.Operator, recovery) ? GroupReading.Held : GroupReading.Cleared;
    }
}
