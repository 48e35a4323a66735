namespace PulseStream.Retention;

/// <summary>A table whose rows are kept for a tier's retention, by their time column.</summary>
/// <param name="Table">The table (a partitioned parent, or a plain table).</param>
/// <param name="Tier">Whose retention applies.</param>
/// <param name="TimeColumn">
/// The row time of a plain table; null for a partitioned table, whose range partition key is its time column.
/// </param>
/// <param name="DropsPartitions">Whole day partitions past every tenant's retention are dropped (also allowed by
/// <c>retention_drop_partition</c> in the database).</param>
public sealed record RetentionTable(string Table, RetentionTier Tier, string? TimeColumn, bool DropsPartitions = false);

/// <summary>
/// Every table kept by tier. A table that does not exist (yet, or any more) is skipped, so the list can name the
/// tiers of every layout: raw events as rows or as segments, and every rollup set's tables
/// (<see cref="Metrics.RollupSet"/>), the 10-second totals kept as long as the minute tier.
/// </summary>
public static class RetentionTables
{
    public static readonly IReadOnlyList<RetentionTable> All =
    [
        new("events", RetentionTier.Raw, null, DropsPartitions: true),
        new("event_segments", RetentionTier.Raw, null, DropsPartitions: true),
        .. Metrics.RollupSet.All.SelectMany(set => set.Tiers.Select(tier => new RetentionTable(set.Table(tier), TierOf(tier), "bucket"))),
    ];

    /// <summary>Whose retention a rollup tier keeps: the 10-second totals are kept as long as the minute tier.</summary>
    public static RetentionTier TierOf(Metrics.RollupTier tier) =>
        tier.Width >= TimeSpan.FromDays(1) ? RetentionTier.Day : tier.Width >= TimeSpan.FromHours(1) ? RetentionTier.Hour : RetentionTier.Minute;
}
