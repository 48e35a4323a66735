using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PulseStream.Alerting;

namespace PulseStream.UnitTests;

/// <summary>The due-tenant lanes, the per-tenant budget and the backoff, on a fake clock.</summary>
public class RuleEvaluationSchedulingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private static readonly RuleEvaluationOptions Options = new();

    /// <summary>The schedule table's behaviour in memory: oldest due first among those whose next attempt has come.</summary>
    private sealed class MemoryQueue(FakeTimeProvider time) : IDueTenantQueue
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<Guid, (DateTimeOffset? DueSince, DateTimeOffset NextAt, int Overruns)> _rows = [];
        public ConcurrentQueue<(Guid TenantId, ScheduleUpdate Update, DateTimeOffset At)> Completed { get; } = new();
        public int Claims;

        public void MarkDue(Guid tenantId, DateTimeOffset since)
        {
            lock (_gate)
            {
                _rows.TryGetValue(tenantId, out var row);
                _rows[tenantId] = (row.DueSince ?? since, row.NextAt, row.Overruns);
            }
        }

        public Task<DueTenant?> ClaimAsync(DateTimeOffset now, TimeSpan lease, CancellationToken ct)
        {
            lock (_gate)
            {
                Interlocked.Increment(ref Claims);
                var due = _rows.Where(r => r.Value.DueSince is not null && r.Value.NextAt <= now).OrderBy(r => r.Value.DueSince).Select(r => (KeyValuePair<Guid, (DateTimeOffset? DueSince, DateTimeOffset NextAt, int Overruns)>?)r).FirstOrDefault();
                if (due is not { } claimed) return Task.FromResult<DueTenant?>(null);
                _rows[claimed.Key] = (null, now + lease, claimed.Value.Overruns);
                return Task.FromResult<DueTenant?>(new DueTenant(claimed.Key, claimed.Value.DueSince!.Value, claimed.Value.Overruns));
            }
        }

        public Task CompleteAsync(DueTenant tenant, ScheduleUpdate update, CancellationToken ct)
        {
            lock (_gate)
            {
                var row = _rows[tenant.TenantId];
                var due = update.DueAgainSince is { } since ? (row.DueSince is { } marked && marked < since ? marked : since) : row.DueSince;
                _rows[tenant.TenantId] = (due, update.NextAt, update.Overruns);
            }
            Completed.Enqueue((tenant.TenantId, update, time.GetUtcNow()));
            return Task.CompletedTask;
        }
    }

    /// <summary>Evaluations that finish at once, except the tenants told to hang until their budget cancels them.</summary>
    private sealed class ScriptedEvaluator(FakeTimeProvider time) : ITenantRuleEvaluator
    {
        public HashSet<Guid> Hanging { get; } = [];
        public TimeSpan WorkPerEvaluation { get; init; } = TimeSpan.Zero;
        public ConcurrentQueue<(Guid TenantId, DateTimeOffset Deadline)> Calls { get; } = new();

        public async Task<TenantEvaluation> EvaluateTenantAsync(Guid tenantId, DateTimeOffset deadline, CancellationToken ct)
        {
            Calls.Enqueue((tenantId, deadline));
            if (Hanging.Contains(tenantId)) await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            if (WorkPerEvaluation > TimeSpan.Zero) time.Advance(WorkPerEvaluation);
            return new TenantEvaluation(1, 1, EvaluationOutcome.Completed);
        }
    }

    private static DueRuleEvaluator Runner(IDueTenantQueue queue, ITenantRuleEvaluator evaluator, FakeTimeProvider time, RuleEvaluationOptions? options = null) =>
        new(queue, evaluator, Microsoft.Extensions.Options.Options.Create(options ?? new RuleEvaluationOptions()), time, NullLogger<DueRuleEvaluator>.Instance);

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    [Fact]
    public async Task A_tenant_stuck_past_its_budget_holds_one_lane_while_the_others_are_evaluated_and_is_then_backed_off()
    {
        var time = new FakeTimeProvider(Start);
        var queue = new MemoryQueue(time);
        var evaluator = new ScriptedEvaluator(time);
        Guid stuck = Guid.NewGuid(), second = Guid.NewGuid(), third = Guid.NewGuid();
        queue.MarkDue(stuck, Start.AddSeconds(-3));
        queue.MarkDue(second, Start.AddSeconds(-2));
        queue.MarkDue(third, Start.AddSeconds(-1));
        evaluator.Hanging.Add(stuck);

        var run = Runner(queue, evaluator, time).RunAsync(CancellationToken.None);

        // The oldest is claimed first and hangs; the other lane evaluates the rest without the clock moving at all.
        await Until(() => queue.Completed.Count == 2);
        Assert.Equal(new[] { second, third }.Order(), queue.Completed.Select(c => c.TenantId).Order());
        Assert.All(queue.Completed, c => Assert.Equal(EvaluationOutcome.Completed, c.Update.Outcome));
        Assert.False(run.IsCompleted);
        Assert.Equal(Start + Options.TenantBudget, evaluator.Calls.Single(c => c.TenantId == stuck).Deadline);

        // Its budget ends: the lane is freed, the tenant stays due from its old time, and waits out the first backoff.
        time.Advance(Options.TenantBudget);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        var overran = queue.Completed.Single(c => c.TenantId == stuck);
        Assert.Equal(EvaluationOutcome.OverBudget, overran.Update.Outcome);
        Assert.Equal(1, overran.Update.Overruns);
        Assert.Equal(Start.AddSeconds(-3), overran.Update.DueAgainSince);
        Assert.Equal(Start + Options.TenantBudget + Options.FirstBackoff, overran.Update.NextAt);
        Assert.Single(evaluator.Calls, c => c.TenantId == stuck); // not retried in the same round

        // Before the backoff ends the next round finds nothing to do; after it, the tenant is tried again.
        time.Advance(Options.FirstBackoff - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await Runner(queue, evaluator, time).RunAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMilliseconds(1));
        evaluator.Hanging.Clear();
        Assert.Equal(1, await Runner(queue, evaluator, time).RunAsync(CancellationToken.None));
        Assert.Equal(0, queue.Completed.Last().Update.Overruns);
    }

    [Fact]
    public async Task A_busy_tenant_is_evaluated_at_most_once_per_interval_and_a_round_stops_claiming_after_its_run_budget()
    {
        var time = new FakeTimeProvider(Start);
        var queue = new MemoryQueue(time);
        var tenant = Guid.NewGuid();
        var evaluator = new ScriptedEvaluator(time) { WorkPerEvaluation = TimeSpan.FromMilliseconds(100) };
        var options = new RuleEvaluationOptions { Parallelism = 1 };

        // Marked due again during its evaluation: it is not taken again until the interval from its start has passed.
        queue.MarkDue(tenant, Start);
        Assert.Equal(1, await Runner(queue, evaluator, time, options).RunAsync(CancellationToken.None));
        queue.MarkDue(tenant, time.GetUtcNow());
        Assert.Equal(Start + options.TenantInterval, queue.Completed.Single().Update.NextAt);
        Assert.Equal(0, await Runner(queue, evaluator, time, options).RunAsync(CancellationToken.None));
        time.Advance(options.TenantInterval);
        Assert.Equal(1, await Runner(queue, evaluator, time, options).RunAsync(CancellationToken.None));

        // Endless due tenants, each taking 1 s: one round claims for its run budget, then returns to the next tick.
        var slow = new ScriptedEvaluator(time) { WorkPerEvaluation = TimeSpan.FromSeconds(1) };
        var many = new MemoryQueue(time);
        for (var i = 0; i < 100; i++) many.MarkDue(Guid.NewGuid(), time.GetUtcNow().AddMinutes(-1));
        Assert.Equal((int)options.RunBudget.TotalSeconds, await Runner(many, slow, time, options).RunAsync(CancellationToken.None));
    }

    [Fact]
    public void Backoff_doubles_per_consecutive_overrun_up_to_the_maximum_and_a_completed_evaluation_resets_it()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), RuleEvaluationPolicy.Backoff(1, Options));
        Assert.Equal(TimeSpan.FromSeconds(10), RuleEvaluationPolicy.Backoff(2, Options));
        Assert.Equal(TimeSpan.FromSeconds(160), RuleEvaluationPolicy.Backoff(6, Options));
        Assert.Equal(Options.MaxBackoff, RuleEvaluationPolicy.Backoff(7, Options));
        Assert.Equal(Options.MaxBackoff, RuleEvaluationPolicy.Backoff(int.MaxValue, Options));

        var tenant = new DueTenant(Guid.NewGuid(), Start.AddSeconds(-30), Overruns: 3);
        var failed = RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Failed, Start, Start.AddSeconds(1), Options);
        Assert.Equal((Start.AddSeconds(1 + 40), 4, (DateTimeOffset?)tenant.DueSince), (failed.NextAt, failed.Overruns, failed.DueAgainSince));

        // A slow but completed evaluation may go again right away; an interrupted one stays due and is not an overrun.
        var completed = RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Completed, Start, Start.AddSeconds(1.5), Options);
        Assert.Equal((Start.AddSeconds(1.5), 0, (DateTimeOffset?)null), (completed.NextAt, completed.Overruns, completed.DueAgainSince));
        var interrupted = RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Interrupted, Start, Start.AddSeconds(1), Options);
        Assert.Equal((Start.AddSeconds(1), 3, (DateTimeOffset?)tenant.DueSince), (interrupted.NextAt, interrupted.Overruns, interrupted.DueAgainSince));
        Assert.True(RuleEvaluationPolicy.Lease(Options) > Options.TenantBudget * 2);
    }

    private static GroupValue G(string key, long requests = 10) => new(key, 1, requests);

    [Fact]
    public void Groups_beyond_the_bound_are_cut_and_open_alerts_resolve_for_no_data_but_never_because_they_were_cut()
    {
        // Within the bound: an open alert whose group has no data is evaluated as not met (it resolves).
        var within = RuleGroupSelection.From([G("a"), G("b")], ["b", "gone"], bound: 3);
        Assert.False(within.LimitHit);
        Assert.Equal(["a", "b"], within.Measured.Select(g => g.GroupKey));
        Assert.Equal(["gone"], within.WithoutData);
        Assert.Empty(within.LeftAlone);

        // Over the bound, and a slot went to a group without an alert: every open group with data came first (the
        // query orders them so), so a missing open group truly had none.
        var overWithRoom = RuleGroupSelection.From([G("open1"), G("new1"), G("new2")], ["open1", "gone"], bound: 2);
        Assert.True(overWithRoom.LimitHit);
        Assert.Equal(["open1", "new1"], overWithRoom.Measured.Select(g => g.GroupKey));
        Assert.Equal(["gone"], overWithRoom.WithoutData);
        Assert.Empty(overWithRoom.LeftAlone);

        // Over the bound with every slot an open alert (the bound was lowered): the other open alerts may have been
        // cut, so they are left as they are.
        var allOpen = RuleGroupSelection.From([G("o1"), G("o2"), G("o3")], ["o1", "o2", "o3", "o4"], bound: 2);
        Assert.True(allOpen.LimitHit);
        Assert.Equal(["o1", "o2"], allOpen.Measured.Select(g => g.GroupKey));
        Assert.Empty(allOpen.WithoutData);
        Assert.Equal(["o3", "o4"], allOpen.LeftAlone);
    }
}
