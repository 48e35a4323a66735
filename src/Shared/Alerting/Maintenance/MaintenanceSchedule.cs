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

    /// <summary>
    /// How far past its seed a query may look before a rule without COUNT is re-seeded: Ical.Net walks every
    /// occurrence from the seed on (about a microsecond each), so a daily window started years ago would cost
    /// milliseconds at every muting decision.
    /// </summary>
    private const int ReseedAfterDays = 60;

    // How far before a query the new seed is looked for: any occurrence from there on will do (see Seeded).
    private const int ReseedMarginDays = 30;

    private readonly CalendarEvent _event;
    private readonly RecurrencePattern _rule;
    private readonly HashSet<LocalDateTime> _exceptions;
    private readonly Lock _gate = new();
    private (LocalDateTime Start, CalendarEvent Event)? _seed;
    private LocalDateTime? _endsBefore;
    private List<LocalDateTime>? _finite;

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
        _rule = rule;
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
        // A schedule is shared by every reader of its window (CompiledMaintenanceWindows), and its seed moves.
        lock (_gate)
        {
            if (_endsBefore is { } ended && searchFrom >= ended) return result;
            var locals = _rule.Count is null
                ? LocalStarts(Seeded(searchFrom), searchFrom)
                : (_finite ??= LocalStarts(_event, Start).ToList()).SkipWhile(local => local < searchFrom);
            foreach (var local in locals)
            {
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
        return result;
    }

    /// <summary>
    /// The event to expand a query from <paramref name="searchFrom"/> with, for a rule without COUNT: the window's
    /// own, or one re-seeded at an occurrence of its own not after the query. From any of its occurrences on, such a
    /// rule yields the same occurrences as from its start: every FREQ period is counted from the seed's period, and
    /// the seed's period is one of the series' own, so the periods stay aligned (INTERVAL, BYDAY, BYSETPOS alike).
    /// (With COUNT the count would start again: such a series, at most 1,000 occurrences, is listed once instead.)
    /// </summary>
    private CalendarEvent Seeded(LocalDateTime searchFrom)
    {
        var seed = _seed is { } current && current.Start <= searchFrom ? current : (Start: Start, Event: _event);
        if (seed.Start.PlusDays(ReseedAfterDays) >= searchFrom) return seed.Event;
        var from = searchFrom.PlusDays(-ReseedMarginDays);
        var first = LocalStarts(seed.Event, from).Where(local => local >= from).Select(local => (LocalDateTime?)local).FirstOrDefault();
        if (first is not { } next)
        {
            // The series is over (UNTIL passed): nothing from here on, without walking it again.
            _endsBefore = from;
            return seed.Event;
        }
        // The first occurrence from the margin on: every occurrence at or after a later query is at or after it.
        var reseeded = new CalendarEvent { DtStart = ToCal(next), RecurrenceRule = _rule };
        _seed = (next, reseeded);
        return next <= searchFrom ? reseeded : seed.Event;
    }

    /// <summary>The local starts an event yields from <paramref name="from"/>, lazily, in order.</summary>
    private static IEnumerable<LocalDateTime> LocalStarts(CalendarEvent calendarEvent, LocalDateTime from)
    {
        using var occurrences = calendarEvent.GetOccurrences(ToCal(from), Bounded).GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = occurrences.MoveNext();
            }
            catch (Exception e) when (e is EvaluationLimitExceededException or EvaluationOutOfRangeException)
            {
                // The rule found nothing for MaxUnmatchedIncrements steps (or ran past year 9999): no more occurrences.
                more = false;
            }
            if (!more) yield break;
            yield return LocalDateTime.FromDateTime(occurrences.Current.Period.StartTime.Value);
        }
    }

    private static CalDateTime ToCal(LocalDateTime local) =>
        new(local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second);
}
