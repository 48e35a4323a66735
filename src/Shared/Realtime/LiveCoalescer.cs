using PulseStream.Events;
using PulseStream.Metrics;

namespace PulseStream.Realtime;

/// <summary>An event as the live feed shows it: the ingest fields plus when it was received.</summary>
public sealed record LiveEvent(string? EventId, DateTimeOffset Timestamp, string Method, string Path, string Route, int StatusCode,
    double LatencyMs, long? RequestBytes, long? ResponseBytes, string? ConsumerId, string Environment,
    IReadOnlyDictionary<string, string>? Attributes, DateTimeOffset ReceivedAt)
{
    public static LiveEvent From(ApiEvent e, DateTimeOffset receivedAt) =>
        new(e.EventId, e.Timestamp, e.Method, e.Path, e.Route, e.StatusCode, e.LatencyMs, e.RequestBytes, e.ResponseBytes,
            e.ConsumerId, e.Environment, e.Attributes, receivedAt);
}

/// <summary>One second of a tenant's traffic for the live charts.</summary>
public sealed record MetricsTick(DateTimeOffset Ts, long Requests, long Errors, double? P50, double? P95, double? P99);

/// <summary>What is due for one tenant at a flush: an <c>events</c> message (newest first) and closed seconds' ticks.</summary>
public sealed record LiveSend(Guid TenantId, IReadOnlyList<LiveEvent> Events, IReadOnlyList<MetricsTick> Ticks);

/// <summary>
/// Merges the live feed across consumed batches, per tenant (CONTRACT.md, "Real-time messages"): at most one
/// <c>events</c> message every <see cref="EventsInterval"/> carrying the newest <see cref="MaxEventsPerMessage"/>
/// events, and exactly one <c>metrics</c> tick per second of receipt time, sent once the second has been closed for
/// <see cref="TickGrace"/> so that a second spanning two batches is counted once. An event for a second already sent
/// folds into the next open second, so no <c>ts</c> repeats; a backlog older than <see cref="MaxTickAge"/> folds into
/// the oldest second still kept, so a consumer catching up cannot grow the state without bound.
/// Thread-safe: consumers add while the flush loop takes.
/// </summary>
public sealed class LiveCoalescer
{
    public const int MaxEventsPerMessage = 200;
    public static readonly TimeSpan EventsInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan TickGrace = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxTickAge = TimeSpan.FromSeconds(60);

    /// <summary>A tenant with nothing pending for this long is forgotten.</summary>
    private static readonly TimeSpan IdleForget = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly Dictionary<Guid, TenantFeed> tenants = [];
    private readonly Lock gate = new();

    public int TenantCount
    {
        get { lock (gate) return tenants.Count; }
    }

    public void Add(Guid tenantId, DateTimeOffset receivedAt, IReadOnlyList<ApiEvent> events, DateTimeOffset now)
    {
        if (events.Count == 0) return;
        lock (gate)
        {
            if (!tenants.TryGetValue(tenantId, out var feed)) tenants[tenantId] = feed = new TenantFeed();
            feed.Add(receivedAt, events, now);
        }
    }

    /// <summary>
    /// Takes what is due at <paramref name="now"/> for every tenant not still sending, and marks those tenants as
    /// sending until <see cref="Sent"/>. <paramref name="maxTenants"/> bounds one round; the rest wait for the next.
    /// </summary>
    public IReadOnlyList<LiveSend> TakeDue(DateTimeOffset now, int maxTenants)
    {
        var due = new List<LiveSend>();
        lock (gate)
        {
            List<Guid>? idle = null;
            foreach (var (tenantId, feed) in tenants)
            {
                if (feed.Sending) continue;
                if (feed.IsIdle(now))
                {
                    (idle ??= []).Add(tenantId);
                    continue;
                }
                if (due.Count >= maxTenants) continue;
                if (feed.TakeDue(tenantId, now) is { } send)
                {
                    feed.Sending = true;
                    due.Add(send);
                }
            }
            foreach (var tenantId in idle ?? []) tenants.Remove(tenantId);
        }
        return due;
    }

    /// <summary>The tenant's last taken send has finished (or failed: live messages are best effort).</summary>
    public void Sent(Guid tenantId)
    {
        lock (gate)
            if (tenants.TryGetValue(tenantId, out var feed)) feed.Sending = false;
    }

    private sealed class TenantFeed
    {
        private readonly Queue<LiveEvent> pending = new();
        private readonly SortedDictionary<DateTimeOffset, SecondStats> seconds = [];
        private DateTimeOffset lastEventsSent = DateTimeOffset.MinValue;
        private DateTimeOffset? closedThrough;
        private DateTimeOffset lastActivity;

        public bool Sending { get; set; }

        public void Add(DateTimeOffset receivedAt, IReadOnlyList<ApiEvent> events, DateTimeOffset now)
        {
            lastActivity = now;
            foreach (var e in events.Count > MaxEventsPerMessage ? events.Skip(events.Count - MaxEventsPerMessage) : events)
            {
                pending.Enqueue(LiveEvent.From(e, receivedAt));
                if (pending.Count > MaxEventsPerMessage) pending.Dequeue();
            }
            var stats = StatsFor(SecondOf(receivedAt, now));
            foreach (var e in events) stats.Add(e);
        }

        public LiveSend? TakeDue(Guid tenantId, DateTimeOffset now)
        {
            IReadOnlyList<LiveEvent> events = [];
            if (pending.Count > 0 && now - lastEventsSent >= EventsInterval)
            {
                events = pending.Reverse().ToList();
                pending.Clear();
                lastEventsSent = now;
            }
            var ticks = new List<MetricsTick>();
            foreach (var (second, stats) in seconds)
            {
                if (second + Second + TickGrace > now) break;
                ticks.Add(stats.Tick(second));
                closedThrough = second;
            }
            foreach (var tick in ticks) seconds.Remove(tick.Ts);
            if (ticks.Count > 0 || events.Count > 0) lastActivity = now;
            return events.Count == 0 && ticks.Count == 0 ? null : new LiveSend(tenantId, events, ticks);
        }

        public bool IsIdle(DateTimeOffset now) => pending.Count == 0 && seconds.Count == 0 && now - lastActivity > IdleForget;

        /// <summary>The second an event received at <paramref name="receivedAt"/> counts in; never one already sent.</summary>
        private DateTimeOffset SecondOf(DateTimeOffset receivedAt, DateTimeOffset now)
        {
            var second = Durations.Floor(receivedAt, Second);
            var oldestKept = Durations.Floor(now - MaxTickAge, Second);
            if (second < oldestKept) second = oldestKept;
            if (closedThrough is { } closed && second <= closed) second = closed + Second;
            return second;
        }

        private SecondStats StatsFor(DateTimeOffset second)
        {
            if (!seconds.TryGetValue(second, out var stats)) seconds[second] = stats = new SecondStats();
            return stats;
        }
    }

    private sealed class SecondStats
    {
        private readonly LatencyHistogram latency = new();
        private long errors;

        public void Add(ApiEvent e)
        {
            latency.Add(e.LatencyMs);
            if (e.StatusCode >= 500) errors++;
        }

        public MetricsTick Tick(DateTimeOffset second) =>
            new(second, latency.Count, errors, latency.Quantile(0.50), latency.Quantile(0.95), latency.Quantile(0.99));
    }
}
