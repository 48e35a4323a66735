namespace PulseStream.Retention;

/// <summary>What a retention period applies to: raw events, each rollup tier, the audit log.</summary>
public enum RetentionTier
{
    Raw,
    Minute,
    Hour,
    Day,
    Audit,
}

/// <summary>Days kept per tier.</summary>
public sealed record RetentionDays(int RawDays, int MinuteDays, int HourDays, int DayDays, int AuditDays)
{
    public int For(RetentionTier tier) => tier switch
    {
        RetentionTier.Raw => RawDays,
        RetentionTier.Minute => MinuteDays,
        RetentionTier.Hour => HourDays,
        RetentionTier.Day => DayDays,
        RetentionTier.Audit => AuditDays,
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };

    /// <summary>Each tier's override, else the default.</summary>
    public static RetentionDays Effective(RetentionDays defaults, RetentionOverrides overrides) => new(
        overrides.RawDays ?? defaults.RawDays, overrides.MinuteDays ?? defaults.MinuteDays, overrides.HourDays ?? defaults.HourDays,
        overrides.DayDays ?? defaults.DayDays, overrides.AuditDays ?? defaults.AuditDays);
}

/// <summary>A tenant's own retention per tier (<c>tenant_retention</c>); null: the default applies.</summary>
public sealed record RetentionOverrides(int? RawDays, int? MinuteDays, int? HourDays, int? DayDays, int? AuditDays)
{
    public static readonly RetentionOverrides None = new(null, null, null, null, null);

    public int? For(RetentionTier tier) => tier switch
    {
        RetentionTier.Raw => RawDays,
        RetentionTier.Minute => MinuteDays,
        RetentionTier.Hour => HourDays,
        RetentionTier.Day => DayDays,
        RetentionTier.Audit => AuditDays,
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };
}

/// <summary>What a tenant may set per tier, in days (also the <c>tenant_retention</c> CHECK constraints).</summary>
public static class RetentionBounds
{
    public sealed record Range(int Min, int Max);

    public static Range For(RetentionTier tier) => tier switch
    {
        RetentionTier.Raw => new(1, 90),
        RetentionTier.Minute => new(1, 90),
        RetentionTier.Hour => new(1, 800),
        RetentionTier.Day => new(1, 3650),
        RetentionTier.Audit => new(30, 3650),
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };

    /// <summary>The tiers in the order the API and the dashboard show them.</summary>
    public static readonly RetentionTier[] Tiers = [RetentionTier.Raw, RetentionTier.Minute, RetentionTier.Hour, RetentionTier.Day, RetentionTier.Audit];

    /// <summary>The JSON field of a tier in the settings API (<c>rawDays</c>, ...).</summary>
    public static string FieldOf(RetentionTier tier) => tier switch
    {
        RetentionTier.Raw => "rawDays",
        RetentionTier.Minute => "minuteDays",
        RetentionTier.Hour => "hourDays",
        RetentionTier.Day => "dayDays",
        RetentionTier.Audit => "auditDays",
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };
}
