using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PulseStream.Events;
using PulseStream.Realtime;

namespace PulseStream.UnitTests;

/// <summary>The live feed's schedule per tenant: events at most every 250 ms, one tick per second across batches.</summary>
/// <remarks>
/// Not run beside <see cref="RuleEvaluationSchedulingTests"/>: run together, that class's stuck-tenant test hung
/// (its lane never resumed after the fake clock's advance) in every full run of this project, and not alone; why is
/// still open (the two share no state this project knows of).
/// </remarks>
[Collection(SchedulingCollection.Name)]
public sealed class LiveCoalescerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Tenant = Guid.NewGuid();

    private static ApiEvent Event(int status = 200, double latency = 10, string? id = null) =>
        new(id, T0, "GET", "/v1/x", "/v1/x", status, latency, 10, 20, "c1", "production", new Dictionary<string, string> { ["region"] = "eu" });

    private static IReadOnlyList<ApiEvent> Events(int n, int status = 200, string prefix = "e") =>
        Enumerable.Range(0, n).Select(i => Event(status, 10 + i, $"{prefix}{i}")).ToList();

    private static LiveSend? Take(LiveCoalescer c, DateTimeOffset now)
    {
        var due = c.TakeDue(now, 100);
        foreach (var send in due) c.Sent(send.TenantId);
        return due.SingleOrDefault();
    }

    [Fact]
    public void A_second_that_spans_two_batches_yields_one_tick_with_both_batches_counted()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0.AddMilliseconds(100), Events(3), T0.AddMilliseconds(150));
        Take(c, T0.AddMilliseconds(150));
        c.Add(Tenant, T0.AddMilliseconds(900), Events(2, 503), T0.AddMilliseconds(950));

        Assert.Empty(Take(c, T0.AddMilliseconds(1400))?.Ticks ?? []);
        var tick = Assert.Single(Take(c, T0.AddMilliseconds(1500))!.Ticks);
        Assert.Equal(new MetricsTick(T0, 5, 2, tick.P50, tick.P95, tick.P99), tick);
        Assert.NotNull(tick.P99);
        Assert.Null(Take(c, T0.AddMilliseconds(3000)));
    }

    [Fact]
    public void Events_go_out_at_most_every_250_ms_and_batches_in_between_wait_for_the_next_message()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0, Events(1, prefix: "a"), T0);
        Assert.Equal(["a0"], Take(c, T0)!.Events.Select(e => e.EventId));
        c.Add(Tenant, T0.AddMilliseconds(50), Events(1, prefix: "b"), T0.AddMilliseconds(50));
        c.Add(Tenant, T0.AddMilliseconds(100), Events(1, prefix: "c"), T0.AddMilliseconds(100));

        Assert.Empty(Take(c, T0.AddMilliseconds(200))?.Events ?? []);
        Assert.Equal(["c0", "b0"], Take(c, T0.AddMilliseconds(250))!.Events.Select(e => e.EventId));
    }

    [Fact]
    public void A_message_carries_the_newest_200_events_newest_first_with_sizes_and_attributes()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0, Events(150, prefix: "a"), T0);
        c.Add(Tenant, T0.AddMilliseconds(10), Events(150, prefix: "b"), T0.AddMilliseconds(10));

        var events = Take(c, T0.AddMilliseconds(20))!.Events;
        Assert.Equal(LiveCoalescer.MaxEventsPerMessage, events.Count);
        Assert.Equal("b149", events[0].EventId);
        Assert.Equal("a100", events[^1].EventId);
        Assert.Equal((10L, 20L, "eu"), (events[0].RequestBytes!.Value, events[0].ResponseBytes!.Value, events[0].Attributes!["region"]));
        Assert.Equal(T0.AddMilliseconds(10), events[0].ReceivedAt);
    }

    [Fact]
    public void An_event_for_a_second_already_sent_counts_in_the_next_second_so_no_ts_repeats()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0.AddMilliseconds(900), Events(2), T0.AddMilliseconds(900));
        var first = Assert.Single(Take(c, T0.AddMilliseconds(1600))!.Ticks);
        c.Add(Tenant, T0.AddMilliseconds(950), Events(1), T0.AddMilliseconds(1700));

        var late = Assert.Single(Take(c, T0.AddMilliseconds(2600))!.Ticks);
        Assert.Equal((T0, 2L), (first.Ts, first.Requests));
        Assert.Equal((T0.AddSeconds(1), 1L), (late.Ts, late.Requests));
    }

    [Fact]
    public void A_backlog_older_than_a_minute_folds_into_one_tick_instead_of_one_per_old_second()
    {
        var c = new LiveCoalescer();
        var now = T0.AddHours(1);
        for (var i = 0; i < 600; i++) c.Add(Tenant, T0.AddSeconds(i), Events(1), now);

        var ticks = Take(c, now)!.Ticks;
        var tick = Assert.Single(ticks);
        Assert.Equal((now - LiveCoalescer.MaxTickAge, 600L), (tick.Ts, tick.Requests));
    }

    [Fact]
    public void A_tenant_still_sending_is_skipped_and_its_events_keep_coalescing_until_the_send_ends()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0, Events(1, prefix: "a"), T0);
        Assert.Single(c.TakeDue(T0, 100));
        c.Add(Tenant, T0.AddMilliseconds(300), Events(1, prefix: "b"), T0.AddMilliseconds(300));

        Assert.Empty(c.TakeDue(T0.AddSeconds(2), 100));
        c.Sent(Tenant);
        var send = Assert.Single(c.TakeDue(T0.AddSeconds(2), 100));
        Assert.Equal(["b0"], send.Events.Select(e => e.EventId));
        Assert.Equal([2L], send.Ticks.Select(t => t.Requests));
    }

    [Fact]
    public void One_round_takes_at_most_the_given_number_of_tenants_and_the_rest_wait_for_the_next()
    {
        var c = new LiveCoalescer();
        var tenants = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        foreach (var t in tenants) c.Add(t, T0, Events(1), T0);

        var first = c.TakeDue(T0, 3);
        var second = c.TakeDue(T0, 3);
        Assert.Equal(3, first.Count);
        Assert.Equal(2, second.Count);
        Assert.Equal(tenants.Order(), first.Concat(second).Select(s => s.TenantId).Order());
    }

    [Fact]
    public void A_tenant_with_nothing_pending_is_forgotten_after_two_minutes()
    {
        var c = new LiveCoalescer();
        c.Add(Tenant, T0, Events(1), T0);
        Take(c, T0.AddSeconds(2));
        Take(c, T0.AddSeconds(60));
        Assert.Equal(1, c.TenantCount);
        Take(c, T0.AddMinutes(3));
        Assert.Equal(0, c.TenantCount);
    }

    private sealed class RecordingPublisher(Func<Guid, CancellationToken, Task> onSend) : IRealtimePublisher
    {
        public List<(Guid Tenant, string Target)> Sent { get; } = [];

        public async Task SendToTenantAsync(Guid tenantId, string target, object payload, CancellationToken ct)
        {
            await onSend(tenantId, ct);
            lock (Sent) Sent.Add((tenantId, target));
        }

        public Task AddUserToTenantAsync(Guid tenantId, string userId, CancellationToken ct) => Task.CompletedTask;
        public Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken ct) => Task.CompletedTask;
        public Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken ct) => Task.CompletedTask;
        public Task CloseConnectionAsync(string connectionId, string reason, CancellationToken ct) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_tenant_whose_sends_hang_or_throw_delays_no_other_tenant()
    {
        var (slow, broken, healthy) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var release = new TaskCompletionSource();
        var publisher = new RecordingPublisher((tenant, ct) =>
            tenant == slow ? release.Task.WaitAsync(ct) : tenant == broken ? throw new InvalidOperationException("bug") : Task.CompletedTask);
        var clock = new FakeTimeProvider(T0);
        var coalescer = new LiveCoalescer();
        var flush = new LiveFlushService(coalescer, publisher, clock, NullLogger<LiveFlushService>.Instance);
        foreach (var t in new[] { slow, broken, healthy }) coalescer.Add(t, T0, Events(1), T0);

        var round = flush.FlushOnce(CancellationToken.None);
        Assert.Equal(3, round.Count);
        Assert.Contains((healthy, RealtimeTargets.Events), publisher.Sent);

        clock.Advance(TimeSpan.FromSeconds(2));
        foreach (var t in new[] { slow, broken, healthy }) coalescer.Add(t, clock.GetUtcNow(), Events(1), clock.GetUtcNow());
        var next = flush.FlushOnce(CancellationToken.None);
        await Task.WhenAll(next);
        Assert.Equal(2, next.Count);
        Assert.Equal(2, publisher.Sent.Count(s => s == (healthy, RealtimeTargets.Events)));
        Assert.Contains((healthy, RealtimeTargets.Metrics), publisher.Sent);

        release.SetResult();
        await Task.WhenAll(round);
        Assert.Contains((slow, RealtimeTargets.Events), publisher.Sent);
    }
}

/// <summary>Test classes that must not run at the same time as each other (see <see cref="LiveCoalescerTests"/>).</summary>
[CollectionDefinition(Name)]
public sealed class SchedulingCollection
{
    public const string Name = "scheduling";
}
