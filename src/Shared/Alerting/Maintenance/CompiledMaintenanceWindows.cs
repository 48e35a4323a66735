using System.Collections.Concurrent;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// Compiled windows (schedule and matchers) shared by every read in the process, one per stored version of a window
/// (its id and <c>updated_at</c>): muting decides for every alert list, evaluation and release, and compiling a
/// window parses its rule and regular expressions and checks that it happens. A schedule kept here also keeps its
/// re-seeded expansion (<see cref="MaintenanceSchedule"/>), so a long-running series is walked once, not per read.
/// A replaced window's old version is simply not asked for again; the whole cache is dropped past its bound.
/// </summary>
internal static class CompiledMaintenanceWindows
{
    /// <summary>Versions kept at most (200 windows per tenant: 50 tenants' worth at their limit).</summary>
    public const int MaxEntries = 10_000;

    private static readonly ConcurrentDictionary<(Guid Id, DateTimeOffset UpdatedAt), ValidMaintenanceWindow?> Compiled = new();

    public static ValidMaintenanceWindow? Of(MaintenanceWindow window)
    {
        if (Compiled.TryGetValue((window.Id, window.UpdatedAt), out var known)) return known;
        if (Compiled.Count >= MaxEntries) Compiled.Clear();
        return Compiled.GetOrAdd((window.Id, window.UpdatedAt), _ => MaintenanceWindowValidator.Validate(window.Body).Window);
    }
}
