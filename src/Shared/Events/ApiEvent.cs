namespace PulseStream.Events;

/// <summary>One request that a tenant's API served, after validation.</summary>
public sealed record ApiEvent(
    string? EventId,
    DateTimeOffset Timestamp,
    string Method,
    string Path,
    string Route,
    int StatusCode,
    double LatencyMs,
    long? RequestBytes,
    long? ResponseBytes,
    string? ConsumerId,
    string Environment,
    IReadOnlyDictionary<string, string>? Attributes)
{
    public int StatusClass => StatusCode / 100;
}

/// <summary>The events of one tenant accepted together: the unit carried through the event hub.</summary>
public sealed record EventEnvelope(Guid TenantId, DateTimeOffset ReceivedAt, IReadOnlyList<ApiEvent> Events);
