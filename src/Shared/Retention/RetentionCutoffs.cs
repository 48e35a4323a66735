namespace PulseStream.Retention;

/// <summary>The pure arithmetic of retention: what is old enough to go.</summary>
public static class RetentionCutoffs
{
    /// <summary>Rows older than this (time &lt; cutoff) are past <paramref name="days"/> of retention.</summary>
    public static DateTimeOffset Cutoff(DateTimeOffset now, int days) => now - TimeSpan.FromDays(days);

    /// <summary>
    /// The longest retention any tenant has for a tier: the default (every tenant without an override has it) or a
    /// longer override. Nothing younger than this may be dropped as a whole partition.
    /// </summary>
    public static int Longest(RetentionTier tier, RetentionDays defaults, IEnumerable<RetentionOverrides> tenants) =>
        tenants.Select(t => t.For(tier) ?? 0).Append(defaults.For(tier)).Max();
}

/// <summary>One partition of a day-partitioned table, with the range the catalog gives it.</summary>
public sealed record DayPartition(string Name, DateOnly Day, DateTimeOffset From, DateTimeOffset To);

/// <summary>Day partitions are named <c>{parent}_YYYYMMDD</c>; only those are ever dropped.</summary>
public static class DayPartitions
{
    /// <summary>The day in a partition's name, when it is one of <paramref name="parent"/>'s day partitions.</summary>
    public static bool TryParseDay(string parent, string name, out DateOnly day)
    {
        day = default;
        var prefix = parent + "_";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length != prefix.Length + 8) return false;
        var digits = name.AsSpan(prefix.Length);
        foreach (var c in digits) if (c is < '0' or > '9') return false;
        return DateOnly.TryParseExact(digits, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day);
    }

    /// <summary>The partitions wholly older than <paramref name="cutoff"/> (their range ends at or before it), oldest first.</summary>
    public static IReadOnlyList<DayPartition> WhollyBefore(IEnumerable<DayPartition> partitions, DateTimeOffset cutoff) =>
        partitions.Where(p => p.To <= cutoff).OrderBy(p => p.From).ToList();

    /// <summary>The partitions that may hold rows older than <paramref name="cutoff"/>, oldest first.</summary>
    public static IReadOnlyList<DayPartition> HoldingRowsBefore(IEnumerable<DayPartition> partitions, DateTimeOffset cutoff) =>
        partitions.Where(p => p.From < cutoff).OrderBy(p => p.From).ToList();
}
