namespace PulseStream.Alerting;

/// <summary>
/// Which groups one evaluation of a rule decides on, given the bounded metric query's answer.
/// </summary>
/// <param name="Measured">The groups evaluated with their values (at most the bound).</param>
/// <param name="WithoutData">
/// Known groups without requests in the window: those with an open alert, and those the rule's recent traffic knows
/// (<see cref="AlertRule.KnownFor"/>, read only for rules that silence can make fire). Each reads as its
/// <c>noData</c> says, or as a zero request count (<see cref="GroupReadings"/>).
/// </param>
/// <param name="LimitHit">The rule has more groups than the bound; the groups beyond it were not evaluated.</param>
/// <param name="LeftAlone">Groups with an open alert that may have been cut by the bound: no transition at all.</param>
public sealed record RuleGroupSelection(IReadOnlyList<GroupValue> Measured, IReadOnlyList<string> WithoutData, bool LimitHit, IReadOnlyList<string> LeftAlone)
{
    /// <summary>
    /// Decides from <paramref name="answer"/>, the metric query's first <paramref name="bound"/> + 1 groups in its
    /// order (groups with an open alert first). An open alert whose group is missing from the answer either had no
    /// data in the window (it resolves, as it always did) or was cut by the bound (it must not resolve for that).
    /// Because open alerts come first, a cut can only have touched open alerts when every evaluated slot went to
    /// one; otherwise each missing open group truly had no data. A known group without an open alert
    /// (<paramref name="knownGroups"/>, at most <paramref name="bound"/> of them) is one without data only when the
    /// answer was not cut at all: the bound may have cut any group that had fewer requests than the last one kept.
    /// </summary>
    public static RuleGroupSelection From(IReadOnlyList<GroupValue> answer, IReadOnlyCollection<string> openGroups, int bound,
        IReadOnlyCollection<string>? knownGroups = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        var limitHit = answer.Count > bound;
        var open = openGroups.ToHashSet(StringComparer.Ordinal);
        var measured = answer.Take(bound).ToList();
        var measuredKeys = measured.Select(g => g.GroupKey).ToHashSet(StringComparer.Ordinal);
        var missing = open.Where(g => !measuredKeys.Contains(g)).Order(StringComparer.Ordinal).ToList();
        var mayHaveCutOpenAlerts = limitHit && measured.All(g => open.Contains(g.GroupKey));
        if (mayHaveCutOpenAlerts) return new RuleGroupSelection(measured, [], limitHit, missing);
        if (!limitHit && knownGroups is { Count: > 0 })
            missing.AddRange(knownGroups.Where(g => !open.Contains(g) && !measuredKeys.Contains(g)).Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal).Take(bound));
        return new RuleGroupSelection(measured, missing, limitHit, []);
    }
}
