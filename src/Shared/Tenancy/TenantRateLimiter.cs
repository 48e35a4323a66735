using System.Collections.Concurrent;

namespace PulseStream.Tenancy;

/// <summary>
/// Per-tenant token buckets over events: a bucket refills at the tenant's sustained rate up to its burst, and a
/// request takes one token per event it would accept. One tenant's bucket never slows another's. The buckets live
/// in each instance's memory: with N ingest instances in Azure a tenant can reach up to N times its rate (see
/// docs/OPERATIONS.md).
/// </summary>
public sealed class TenantRateLimiter(TimeProvider time)
{
    private sealed class Bucket
    {
        public double Tokens;
        public long LastTicks;
    }

    private readonly ConcurrentDictionary<Guid, Bucket> _buckets = new();

    /// <summary>Takes <paramref name="events"/> tokens, or says how long until that many will be there.</summary>
    public (bool Allowed, TimeSpan RetryAfter) TryAcquire(Guid tenantId, int events, TenantLimits limits)
    {
        var now = time.GetUtcNow().UtcTicks;
        var bucket = _buckets.GetOrAdd(tenantId, _ => new Bucket { Tokens = limits.Burst, LastTicks = now });
        lock (bucket)
        {
            var elapsed = TimeSpan.FromTicks(Math.Max(0, now - bucket.LastTicks)).TotalSeconds;
            bucket.Tokens = Math.Min(limits.Burst, bucket.Tokens + elapsed * limits.EventsPerSecond);
            bucket.LastTicks = now;
            if (bucket.Tokens >= events)
            {
                bucket.Tokens -= events;
                return (true, TimeSpan.Zero);
            }
            var wait = (Math.Min(events, limits.Burst) - bucket.Tokens) / limits.EventsPerSecond;
            return (false, TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait))));
        }
    }
}
