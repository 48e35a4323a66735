using PulseStream.Events.Rows;
using PulseStream.Events.Segments;

namespace PulseStream.Events;

/// <summary>
/// <c>Storage__EventLayout</c>: which raw-event layout the apps write and read, <c>segments</c> (the default, the
/// faster and smaller in docs/PERFORMANCE.md) or <c>rows</c>. Checked at start-up; every app of a deployment must agree.
/// </summary>
public sealed class EventStorageOptions
{
    public const string Section = "Storage";

    public string EventLayout { get; set; } = "segments";

    /// <summary>The layout named, or null when the name is none of them.</summary>
    public EventLayout? Layout => EventLayout?.Trim().ToLowerInvariant() switch
    {
        "segments" => Events.EventLayout.Segments,
        "rows" => Events.EventLayout.Rows,
        _ => null,
    };

    public const string Problem = "Storage:EventLayout must be 'segments' or 'rows'.";

    public IEventStore CreateStore(Storage.Database database) => Layout switch
    {
        Events.EventLayout.Rows => new RowEventStore(database, RowLoad.Unnest),
        _ => new SegmentEventStore(database),
    };
}
