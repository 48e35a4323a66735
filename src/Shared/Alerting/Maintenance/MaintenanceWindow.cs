using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;
using PulseStream.Alerting.Routing;
using PulseStream.Http;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// A maintenance window as the API reads it (CONTRACT.md, "Maintenance window"): <c>{name, rrule, start, duration,
/// timeZone, exceptions, matchers, summaryAtEnd}</c>; <c>start</c> and each exception are local date-times in
/// <c>timeZone</c>, without offset.
/// </summary>
public sealed record MaintenanceWindowBody(string? Name, string? Rrule, string? Start, string? Duration, string? TimeZone,
    IReadOnlyList<string>? Exceptions, IReadOnlyList<AlertMatcherBody?>? Matchers, bool SummaryAtEnd = false);

/// <summary>
/// A stored maintenance window of a tenant, its fields in their canonical text (start and exceptions
/// <c>yyyy-MM-ddTHH:mm:ss</c>, exceptions sorted, duration in its largest whole unit). <c>CreatedBy</c> is the member
/// who made it.
/// </summary>
public sealed record MaintenanceWindow(Guid Id, string Name, string Rrule, string Start, string Duration, string TimeZone,
    IReadOnlyList<string> Exceptions, IReadOnlyList<AlertMatcherBody> Matchers, bool SummaryAtEnd,
    AlertActor CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The body this window was written with (canonical), as audited before and after a change.</summary>
    public MaintenanceWindowBody Body => new(Name, Rrule, Start, Duration, TimeZone, Exceptions, Matchers.ToList()!, SummaryAtEnd);

    /// <summary>
    /// The window's schedule and compiled matchers, checked again as on a write; null for a row that no longer
    /// validates (a time zone dropped from a later tz database), which then mutes nothing and lists no occurrences.
    /// Compiled once per stored version of the window.
    /// </summary>
    public ValidMaintenanceWindow? Compile() => CompiledMaintenanceWindows.Of(this);
}

/// <summary>A window body checked field by field: its schedule, its compiled matchers and its canonical fields.</summary>
public sealed record ValidMaintenanceWindow(string Name, string Rrule, LocalDateTime Start, TimeSpan Duration, string TimeZone,
    IReadOnlyList<LocalDateTime> Exceptions, AlertMatcherSet Matchers, bool SummaryAtEnd, MaintenanceSchedule Schedule);

/// <summary>Checks maintenance window bodies: the scheduling fields by <see cref="MaintenanceWindowFields"/>, the matchers as silences'.</summary>
public static class MaintenanceWindowValidator
{
    /// <summary>The earliest year a start (or an occurrences read) may be in.</summary>
    public const int MinYear = 1970;

    /// <summary>The latest year a start (or an occurrences read) may be in.</summary>
    public const int MaxYear = 9000;

    private static readonly LocalDateTimePattern LocalPattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss");

    /// <summary>The valid window, or one error per wrong field (matchers: per matcher, <c>matchers[i]</c>).</summary>
    public static (ValidMaintenanceWindow? Window, List<FieldError> Errors) Validate(MaintenanceWindowBody? body)
    {
        if (body is null) return (null, [new("$", "A maintenance window object is required.")]);
        var fieldErrors = new Dictionary<string, string>(StringComparer.Ordinal);
        var name = body.Name?.Trim();
        var rrule = body.Rrule?.Trim();
        var schedule = MaintenanceWindowFields.Validate(name, rrule, body.Start, body.Duration, body.TimeZone, body.Exceptions, fieldErrors);
        var errors = fieldErrors.Select(e => new FieldError(e.Key, e.Value)).ToList();
        var (matchers, matcherErrors) = AlertMatcherSet.Create(body.Matchers);
        errors.AddRange(matcherErrors);
        if (schedule is not null && schedule.Start.Year is < MinYear or > MaxYear)
        {
            // Far from any real window, and near the ends of DateTimeOffset, where expanding it would overflow.
            errors.Add(new("start", $"start must be between the years {MinYear} and {MaxYear}."));
            schedule = null;
        }
        else if (schedule is not null && !HasAnOccurrence(schedule))
        {
            errors.Add(new("rrule", "The window never happens: the rule yields no occurrence from start (or every one is an exception)."));
            schedule = null;
        }
        if (schedule is null || matchers is null) return (null, errors);
        var exceptions = (body.Exceptions ?? []).Select(e => LocalPattern.Parse(e).Value).Distinct().Order().ToList();
        return (new ValidMaintenanceWindow(name!, rrule!, schedule.Start, schedule.Duration, body.TimeZone!, exceptions, matchers, body.SummaryAtEnd, schedule), errors);
    }

    // The first occurrence is looked for up to 400 years after the start: far past any rule a person writes, and
    // bounded, since the schedule stops a rule that goes MaxUnmatchedIncrements steps without one.
    private static bool HasAnOccurrence(MaintenanceSchedule schedule)
    {
        var first = schedule.Zone.AtLeniently(schedule.Start).ToDateTimeOffset() - TimeSpan.FromDays(2);
        return schedule.Between(first, first.AddYears(400), 1).Count > 0;
    }

    /// <summary>A local date-time as the API writes it.</summary>
    public static string Format(LocalDateTime local) => LocalPattern.Format(local);

    /// <summary>A valid duration in its largest whole unit: 120 minutes is <c>2h</c>, 1440 is <c>1d</c>, 90 stays <c>90m</c>.</summary>
    public static string Format(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerDay == 0 ? $"{(long)duration.TotalDays}d"
        : duration.Ticks % TimeSpan.TicksPerHour == 0 ? $"{(long)duration.TotalHours}h"
        : $"{(long)duration.TotalMinutes}m";
}

/// <summary>
/// A window as the API answers it: its fields, who made it and when, and the occurrence running now and the next one
/// to start (each null when there is none; the next is looked for up to <see cref="MaintenanceWindowView.NextHorizon"/> ahead).
/// </summary>
public sealed record MaintenanceWindowView(Guid Id, string Name, string Rrule, string Start, string Duration, string TimeZone,
    IReadOnlyList<string> Exceptions, IReadOnlyList<AlertMatcherBody> Matchers, bool SummaryAtEnd,
    AlertActor CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] MaintenanceOccurrence? CurrentOccurrence,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] MaintenanceOccurrence? NextOccurrence)
{
    /// <summary>How far ahead the next occurrence is looked for (a window that recurs less often shows none).</summary>
    public static readonly TimeSpan NextHorizon = TimeSpan.FromDays(5 * 366);

    public static MaintenanceWindowView Of(MaintenanceWindow w, DateTimeOffset now)
    {
        var schedule = w.Compile()?.Schedule;
        var current = schedule?.Covering(now);
        var next = schedule?.Between(now, now + NextHorizon, 2).FirstOrDefault(o => o.Start > now);
        return new(w.Id, w.Name, w.Rrule, w.Start, w.Duration, w.TimeZone, w.Exceptions, w.Matchers, w.SummaryAtEnd,
            w.CreatedBy, w.CreatedAt, w.UpdatedAt, current, next == default(MaintenanceOccurrence) ? null : next);
    }
}
