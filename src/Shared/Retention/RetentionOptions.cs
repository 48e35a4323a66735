using System.ComponentModel.DataAnnotations;

namespace PulseStream.Retention;

/// <summary>
/// How long each kind of data is kept, and how the <c>EnforceRetention</c> timer is bounded (app settings
/// <c>Retention__*</c>, validated at start-up). The tier days are the defaults every tenant gets unless it set its own
/// (<c>PUT /api/v1/settings/retention</c>, within <see cref="RetentionBounds"/>); the rest apply to every tenant.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Raw events (<c>events</c>, <c>event_segments</c>).</summary>
    [Range(1, 90)]
    public int RawDays { get; set; } = 14;

    /// <summary>Minute rollups.</summary>
    [Range(1, 90)]
    public int MinuteDays { get; set; } = 30;

    /// <summary>Hour rollups: 13 months.</summary>
    [Range(1, 800)]
    public int HourDays { get; set; } = 395;

    /// <summary>Day rollups: 5 years.</summary>
    [Range(1, 3650)]
    public int DayDays { get; set; } = 1827;

    /// <summary>The audit log: a year.</summary>
    [Range(30, 3650)]
    public int AuditDays { get; set; } = 365;

    /// <summary>Client event ids (<c>event_ids</c>): the dedup window is 24 hours, so an older row only takes space.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00")]
    public TimeSpan EventIdsAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The local event log keeps a message this long after it was appended, and longer until every consumer group of
    /// its hub has checkpointed past it (Event Hubs' retention plays this part in Azure).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan EventLogRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delivered notifications, after delivery.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan DeliveredNotificationAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Notifications that gave up (dead), after they were enqueued.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan DeadNotificationAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Dead letters that were replayed, after the replay. Dead letters not replayed are never removed.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan ReplayedDeadLetterAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Resolved alerts and their timelines, after resolution. Open alerts are never removed.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan ResolvedAlertAge { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Refresh tokens, this long past their expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan ExpiredRefreshTokenAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Login throttle rows whose window started this long ago and whose lock has ended: the same as no row (the
    /// throttle's window is 15 minutes).
    /// </summary>
    [Range(typeof(TimeSpan), "00:15:00", "30.00:00:00")]
    public TimeSpan LoginThrottleAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Signup throttle buckets untouched this long (never less than a bucket's full refill).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan SignupThrottleAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows one statement removes at most.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 10_000;

    /// <summary>Wall-clock time one run may take; the next run goes on where this one stopped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RunBudget { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Delete statements one run issues at most (with <see cref="BatchSize"/>, the rows one run removes at most).</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchesPerRun { get; set; } = 1_000;

    /// <summary>False pauses enforcement (the timer runs and removes nothing), for maintenance or an investigation.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The defaults per tier.</summary>
    public RetentionDays Defaults => new(RawDays, MinuteDays, HourDays, DayDays, AuditDays);
}
