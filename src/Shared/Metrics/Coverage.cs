using PulseStream.Retention;

namespace PulseStream.Metrics;

/// <summary>
/// What a read covers, given the tenant's retention: a read of [from, to) holds all its data from <c>from</c>, unless a
/// tier it reads (or the raw events) keeps less; then its answer's <c>coveredFrom</c> says from when it is complete.
/// </summary>
public static class Coverage
{
    /// <param name="set">The set read, or null for a read of raw events.</param>
    public static DateTimeOffset Start(RollupSet? set, DateTimeOffset from, DateTimeOffset to, TimeSpan? step, RetentionDays retention, DateTimeOffset now)
    {
        if (set is null) return Later(from, to, now - TimeSpan.FromDays(retention.RawDays));
        var covered = from;
        foreach (var span in RollupRange.Plan(from, to, set.Tiers, step ?? TimeSpan.MaxValue))
        {
            var keptSince = now - TimeSpan.FromDays(retention.For(RetentionTables.TierOf(span.Tier)));
            if (span.From < keptSince) covered = Later(covered, to, Min(span.To, keptSince));
        }
        return covered;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset cap, DateTimeOffset b) => Min(cap, a > b ? a : b);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
