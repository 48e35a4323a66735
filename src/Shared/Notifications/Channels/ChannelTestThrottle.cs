using System.Collections.Concurrent;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// Bounds <c>POST /api/v1/channels/{id}/test</c>: at most <see cref="PerChannelPerMinute"/> test sends per channel and
/// <see cref="PerTenantPerMinute"/> per tenant in any sliding minute, so a test button (or a script behind it) cannot
/// turn PulseStream into a cannon against a receiver. A refused attempt costs nothing and is told when the oldest send
/// leaves the window. The windows live in each instance's memory: with N Alerts instances a tenant can reach up to N
/// times the limits (docs/OPERATIONS.md).
/// </summary>
public sealed class ChannelTestThrottle(TimeProvider time)
{
    public const int PerChannelPerMinute = 5;
    public const int PerTenantPerMinute = 30;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Which limit refused a test send.</summary>
    public enum Scope { None, Channel, Tenant }

    /// <summary>Whether a test send may go now; when not, which limit refused it and how long until it would not.</summary>
    public readonly record struct Decision(bool Allowed, Scope LimitedBy, TimeSpan RetryAfter);

    private sealed class TenantWindow
    {
        public readonly Queue<long> Sends = new();
        public readonly Dictionary<Guid, Queue<long>> ByChannel = [];
        public bool Retired;
    }

    private const int SweepAbove = 10_000;
    private readonly ConcurrentDictionary<Guid, TenantWindow> _tenants = new();

    public Decision TryAcquire(Guid tenantId, Guid channelId)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_tenants.Count > SweepAbove) Sweep(now);
        while (true)
        {
            var window = _tenants.GetOrAdd(tenantId, _ => new TenantWindow());
            lock (window)
            {
                if (window.Retired) continue; // swept away meanwhile: take the fresh one
                Expire(window.Sends, now);
                if (window.Sends.Count >= PerTenantPerMinute) return Refused(Scope.Tenant, window.Sends.Peek(), now);
                if (!window.ByChannel.TryGetValue(channelId, out var channel)) window.ByChannel[channelId] = channel = new Queue<long>();
                Expire(channel, now);
                if (channel.Count >= PerChannelPerMinute) return Refused(Scope.Channel, channel.Peek(), now);
                window.Sends.Enqueue(now);
                channel.Enqueue(now);
                foreach (var (id, sends) in window.ByChannel.Where(c => c.Value.Count == 0 || c.Value.Peek() <= now - Window.Ticks).ToList())
                {
                    Expire(sends, now);
                    if (sends.Count == 0) window.ByChannel.Remove(id);
                }
                return new Decision(true, Scope.None, TimeSpan.Zero);
            }
        }
    }

    private static Decision Refused(Scope scope, long oldest, long now)
    {
        var wait = TimeSpan.FromTicks(oldest + Window.Ticks - now);
        return new Decision(false, scope, wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
    }

    private static void Expire(Queue<long> sends, long now)
    {
        while (sends.Count > 0 && sends.Peek() <= now - Window.Ticks) sends.Dequeue();
    }

    // Tenants that sent nothing within the window are forgotten, so the map stays as large as the recent senders.
    private void Sweep(long now)
    {
        foreach (var (tenantId, window) in _tenants)
            lock (window)
            {
                Expire(window.Sends, now);
                if (window.Sends.Count > 0) continue;
                window.Retired = true;
                _tenants.TryRemove(new KeyValuePair<Guid, TenantWindow>(tenantId, window));
            }
    }
}
