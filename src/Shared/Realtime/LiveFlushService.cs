using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PulseStream.Realtime;

/// <summary>
/// Sends what the <see cref="LiveCoalescer"/> holds, every <see cref="Period"/>. Sends run concurrently, at most
/// <see cref="MaxConcurrentSends"/> tenants at a time and each within <see cref="SendTimeout"/>; a tenant whose send
/// is still running is skipped while its events keep coalescing, so one slow tenant delays nobody else.
/// </summary>
public sealed class LiveFlushService(LiveCoalescer coalescer, IRealtimePublisher realtime, TimeProvider time, ILogger<LiveFlushService> logger)
    : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);
    public const int MaxConcurrentSends = 16;
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    private int running;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                FlushOnce(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Starts the sends due now; returns them so a caller (a test) can wait for them.</summary>
    public IReadOnlyList<Task> FlushOnce(CancellationToken ct)
    {
        var free = MaxConcurrentSends - Volatile.Read(ref running);
        if (free <= 0) return [];
        var sends = coalescer.TakeDue(time.GetUtcNow(), free);
        var tasks = new List<Task>(sends.Count);
        foreach (var send in sends)
        {
            Interlocked.Increment(ref running);
            tasks.Add(SendAsync(send, ct));
        }
        return tasks;
    }

    private async Task SendAsync(LiveSend send, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(SendTimeout);
            if (send.Events.Count > 0)
                await realtime.SendToTenantAsync(send.TenantId, RealtimeTargets.Events, send.Events, timeout.Token);
            foreach (var tick in send.Ticks)
                await realtime.SendToTenantAsync(send.TenantId, RealtimeTargets.Metrics, tick, timeout.Token);
        }
        catch (Exception e)
        {
            // Nobody awaits this task in the loop, so nothing may escape it; a send cut short by shutdown is expected.
            if (!ct.IsCancellationRequested) logger.LogWarning("Live send for tenant {TenantId} failed: {Error}", send.TenantId, e.Message);
        }
        finally
        {
            coalescer.Sent(send.TenantId);
            Interlocked.Decrement(ref running);
        }
    }
}
