namespace PulseStream.Metrics;

/// <summary>A rollup tier: the width of its buckets and the suffix of its tables.</summary>
public sealed record RollupTier(string Name, TimeSpan Width)
{
    public static readonly RollupTier TenSeconds = new("10s", TimeSpan.FromSeconds(10));
    public static readonly RollupTier Minute = new("minute", TimeSpan.FromMinutes(1));
    public static readonly RollupTier Hour = new("hour", TimeSpan.FromHours(1));
    public static readonly RollupTier Day = new("day", TimeSpan.FromDays(1));

    public DateTimeOffset Floor(DateTimeOffset t) => Durations.Floor(t, Width);
}

/// <summary>
/// A dimension set (DESIGN.md §4.2): which of an event's dimensions its rows keep, besides the tenant, the bucket and
/// the environment. Sets are separate so that rows per bucket grow with routes + consumers, never their product:
/// <list type="bullet">
/// <item><see cref="Routes"/>: route × method × environment (status classes are columns, not a dimension);</item>
/// <item><see cref="Consumers"/>: consumer × environment (events without a consumer have none here);</item>
/// <item><see cref="Totals"/>: environment only, also at a 10-second tier for the live charts.</item>
/// </list>
/// Every set is kept at the minute, hour and day tiers. docs/ARCHITECTURE.md lists which set and tier answers each query.
/// </summary>
public sealed record RollupSet(string Name, string[] Dimensions, RollupTier[] Tiers)
{
    public static readonly RollupSet Routes = new("routes", ["route", "method"], [RollupTier.Minute, RollupTier.Hour, RollupTier.Day]);
    public static readonly RollupSet Consumers = new("consumers", ["consumer_id"], [RollupTier.Minute, RollupTier.Hour, RollupTier.Day]);
    public static readonly RollupSet Totals = new("totals", [], [RollupTier.TenSeconds, RollupTier.Minute, RollupTier.Hour, RollupTier.Day]);
    public static readonly RollupSet[] All = [Routes, Consumers, Totals];

    /// <summary>The table of one tier (names come only from these constants, never from a request).</summary>
    public string Table(RollupTier tier) => $"rollup_{Name}_{tier.Name}";

    /// <summary>The set that answers a query that filters or groups by these API dimensions, or null when none does.</summary>
    public static RollupSet? For(bool route, bool method, bool consumer) =>
        consumer ? (route || method ? null : Consumers) : route || method ? Routes : Totals;
}
