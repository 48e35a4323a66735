using Npgsql;

namespace PulseStream.Events;

/// <summary>
/// An event as stored: a stable id unique within the tenant's store (the cursor's tie-breaker at equal timestamps),
/// the event, and the time PulseStream received it.
/// </summary>
public sealed record StoredEvent(long Id, ApiEvent Event, DateTimeOffset ReceivedAt);

/// <summary>One page of events, newest first, and the cursor of the next page (null on the last).</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Items, EventCursor? Next);

/// <summary>
/// Raw event storage (DESIGN.md §4.2): append a consumed batch inside the caller's transaction; read by tenant,
/// time and filters. Callers do not know the physical layout (<see cref="EventLayout"/>).
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends one tenant's events (the caller has set that tenant with <c>SET LOCAL</c>) in the caller's transaction,
    /// so a rolled-back savepoint leaves nothing behind.
    /// </summary>
    Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events, CancellationToken ct);

    /// <summary>The tenant's events matching <paramref name="query"/>, newest first (by timestamp, then id).</summary>
    Task<EventPage> QueryAsync(Guid tenantId, EventQuery query, CancellationToken ct);

    /// <summary>
    /// Visits every event of the tenant matching <paramref name="filter"/> (its limit and cursor ignored), in no set
    /// order, in the caller's transaction: what reads that no rollup answers aggregate over.
    /// </summary>
    Task ScanAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EventQuery filter, Action<ApiEvent> visit, CancellationToken ct);
}

/// <summary>The physical layouts of raw events, chosen with <c>Storage__EventLayout</c>.</summary>
public enum EventLayout
{
    /// <summary>Compressed column-encoded segments, one row per tenant and hour of a consumed batch (<c>event_segments</c>).</summary>
    Segments,
    /// <summary>One row per event (<c>events</c>).</summary>
    Rows,
}
