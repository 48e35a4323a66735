using System.Collections.Concurrent;

namespace PulseStream.Alerting;

/// <summary>
/// Lets the event consumer evaluate a tenant's rules at most once per <see cref="Interval"/>. A busy tenant's batches
/// arrive many times a second and each evaluation queries the rollups of every rule; rule windows are a minute or
/// more, so evaluating once a second loses nothing a rule can see. A tenant skipped here is evaluated by its next
/// batch after the interval, or by the timer's sweep.
/// </summary>
public sealed class RuleEvaluationThrottle(TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int MaxTracked = 100_000;
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _lastEvaluated = new();

    /// <summary>The tenants whose rules are due, marked as evaluated now.</summary>
    public List<Guid> Due(IEnumerable<Guid> tenantIds)
    {
        var now = time.GetUtcNow();
        if (_lastEvaluated.Count > MaxTracked) _lastEvaluated.Clear();
        var due = new List<Guid>();
        foreach (var tenantId in tenantIds)
        {
            if (_lastEvaluated.TryGetValue(tenantId, out var last) && now - last < Interval) continue;
            _lastEvaluated[tenantId] = now;
            due.Add(tenantId);
        }
        return due;
    }
}
