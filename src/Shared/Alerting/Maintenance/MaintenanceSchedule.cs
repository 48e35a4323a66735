using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Evaluation;
using NodaTime;
using NodaTime.TimeZones;

namespace PulseStream.Alerting.Maintenance;

/// <summary>One occurrence of a maintenance window: [Start, End) in UTC.</summary>
public readonly record struct MaintenanceOccurrence(DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// The pure schedule of a maintenance window: an RRULE expanded in the window's local time from its local start,
/// each local start mapped to an instant in its time zone, each occurrence lasting <see cref="Duration"/> of
/// elapsed time. Answers "which occurrence covers this instant" and "which occurrences overlap [from, to)".
/// </summary>
/// <remarks>
/// Local times are mapped with NodaTime's lenient resolver, on purpose: a start that falls in a spring-forward gap
/// (02:30 on the day clocks jump from 02:00 to 03:00) is shifted forward by the gap's length (03:30), so the
/// window still happens that day; a start in an autumn overlap (01:30 happening twice) takes the earlier of the two
/// instants, so the window happens once. The recurrence itself is expanded in floating local time, so "every day at
/// 02:00" stays at 02:00 local across offset changes.
/// </remarks>
public sealed class MaintenanceSchedule
{
    // A margin before "from" so that occurrences that started earlier but still overlap are found, whatever
    // offset changes lie between local and UTC time (at most a day).
    private static readonly TimeSpan LocalMargin = TimeSpan.FromDays(2);

    /// <summary>
    /// How many steps of its frequency a rule may take without an occurrence before its series is taken to have
    /// ended. Without a bound, Ical.Net walks a rule that can never happen (<c>BYMONTH=2;BYMONTHDAY=30</c>) to the
    /// year 9999, for seconds, and then throws. A rare but real rule goes far less long without one: a Monday that is a
    /// leap day, on a DAILY rule, 40 years (14,610 days, 2072 to 2112). Walking this many steps takes a fraction of a
    /// second, spent only when a write is checked (a rule that never happens is refused then).
    /// </summary>
    public const int MaxUnmatchedIncrements = 20_000;

    private static readonly EvaluationOptions Bounded = new() { MaxUnmatchedIncrementsLimit = MaxUnmatchedIncrements };

    private readonly CalendarEvent _event;
    private readonly HashSet<LocalDateTime> _exceptions;

    /// <summary>The window's local start (first occurrence candidate).</summary>
    public LocalDateTime Start { get; }

    /// <summary>How long each occurrence lasts (elapsed time).</summary>
    public TimeSpan Duration { get; }

    /// <summary>The zone the RRULE and the start are written in.</summary>
    public DateTimeZone Zone { get; }

    /// <summary>Builds a schedule from an already validated RRULE (see <see cref="MaintenanceRecurrence"/>).</summary>
    public MaintenanceSchedule(RecurrencePattern rule, LocalDateTime start, TimeSpan duration, DateTimeZone zone,
        IEnumerable<LocalDateTime>? exceptions = null)
    {
        Start = start;
        Duration = duration;
        Zone = zone;
        _exceptions = [.. exceptions ?? []];
        _event = new CalendarEvent { DtStart = ToCal(start), RecurrenceRule = rule };
    }

    /// <summary>The occurrence whose [start, end) holds <paramref name="instant"/>, if any.</summary>
    public MaintenanceOccurrence? Covering(DateTimeOffset instant)
    {
        foreach (var occurrence in Between(instant - Duration, instant.AddTicks(1), int.MaxValue))
            if (occurrence.Start <= instant && instant < occurrence.End)
                return occurrence;
        return null;
    }

    /// <summary>Occurrences overlapping [from, to), in start order, at most <paramref name="limit"/> of them.</summary>
    public IReadOnlyList<MaintenanceOccurrence> Between(DateTimeOffset from, DateTimeOffset to, int limit)
    {
        var result = new List<MaintenanceOccurrence>();
        if (to <= from || limit <= 0) return result;
        var localFrom = LocalDateTime.FromDateTime(from.UtcDateTime - Duration - LocalMargin);
        var localTo = LocalDateTime.FromDateTime(to.UtcDateTime + LocalMargin);
        var searchFrom = localFrom < Start ? Start : localFrom;
        try
        {
            foreach (var occurrence in _event.GetOccurrences(ToCal(searchFrom), Bounded))
            {
                var local = LocalDateTime.FromDateTime(occurrence.Period.StartTime.Value);
                if (local > localTo) break;
                if (local < Start || _exceptions.Contains(local)) continue;
                var start = Zone.ResolveLocal(local, Resolvers.LenientResolver).ToDateTimeOffset().ToUniversalTime();
                var end = start + Duration;
                if (end <= from) continue;
                if (start >= to) break;
                result.Add(new MaintenanceOccurrence(start, end));
                if (result.Count >= limit) break;
            }
        }
        catch (Exception e) when (e is EvaluationLimitExceededException or EvaluationOutOfRangeException)
        {
            // The rule found nothing for MaxUnmatchedIncrements steps (or ran past year 9999): no more occurrences.
        }
        return result;
    }

    private static CalDateTime ToCal(LocalDateTime local) =>
        new(local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second);
}
