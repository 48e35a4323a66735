using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PulseStream.Alerting;

namespace PulseStream.UnitTests;

/// <summary>The due-tenant lanes, the per-tenant budget and the backoff, on a fake clock.</summary>
[Collection(SchedulingCollection.Name)]
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
                // Due from a future time (rules waiting out their interval) is brought forward by a mark, as in 0027.
                _rows[tenantId] = (row.DueSince is { } due && due <= since ? due : since, row.NextAt, row.Overruns);
            }
        }

        public Task<DueTenant?> ClaimAsync(DateTimeOffset now, TimeSpan lease, CancellationToken ct)
        {
            lock (_gate)
            {
                Interlocked.Increment(ref Claims);
                var due = _rows.Where(r => r.Value.DueSince <= now && r.Value.NextAt <= now).OrderBy(r => r.Value.DueSince).Select(r => (KeyValuePair<Guid, (DateTimeOffset? DueSince, DateTimeOffset NextAt, int Overruns)>?)r).FirstOrDefault();
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
        // Read by the lanes while a cancellation callback removes from it: a concurrent set, not a HashSet.
        public System.Collections.Concurrent.ConcurrentDictionary<Guid, bool> Hanging { get; } = new();
        public HashSet<Guid> TooManyRules { get; } = [];
        /// <summary>Called once an evaluation's work is done, before it returns (traffic arriving meanwhile).</summary>
        public Action<Guid>? AfterWork { get; init; }
        public TimeSpan WorkPerEvaluation { get; init; } = TimeSpan.Zero;
        public ConcurrentQueue<(Guid TenantId, DateTimeOffset Deadline)> Calls { get; } = new();

        public async Task<TenantEvaluation> EvaluateTenantAsync(Guid tenantId, DateTimeOffset deadline, CancellationToken ct)
        {
            Calls.Enqueue((tenantId, deadline));
            if (Hanging.ContainsKey(tenantId))
            {
                using var _ = ct.Register(() => Hanging.TryRemove(tenantId, out var _)); // once: its next turn goes through
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            if (WorkPerEvaluation > TimeSpan.Zero) time.Advance(WorkPerEvaluation);
            AfterWork?.Invoke(tenantId);
            return TooManyRules.Contains(tenantId) ? new TenantEvaluation(1000, 200, EvaluationOutcome.Partial) : new TenantEvaluation(1, 1, EvaluationOutcome.Completed);
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
    public async Task A_tenant_stuck_past_its_budget_holds_one_lane_while_the_others_are_evaluated_then_queues_behind_them_without_a_backoff()
    {
        var time = new FakeTimeProvider(Start);
        var queue = new MemoryQueue(time);
        var evaluator = new ScriptedEvaluator(time);
        Guid stuck = Guid.NewGuid(), second = Guid.NewGuid(), third = Guid.NewGuid();
        queue.MarkDue(stuck, Start.AddSeconds(-3));
        queue.MarkDue(second, Start.AddSeconds(-2));
        queue.MarkDue(third, Start.AddSeconds(-1));
        evaluator.Hanging[stuck] = true;

        var run = Runner(queue, evaluator, time).RunAsync(CancellationToken.None);

        // The oldest is claimed first and hangs; the other lane evaluates the rest without the clock moving at all.
        await Until(() => queue.Completed.Count == 2);
        Assert.Equal(new[] { second, third }.Order(), queue.Completed.Select(c => c.TenantId).Order());
        Assert.All(queue.Completed, c => Assert.Equal(EvaluationOutcome.Completed, c.Update.Outcome));
        Assert.False(run.IsCompleted);
        Assert.Equal(Start + Options.TenantBudget, evaluator.Calls.Single(c => c.TenantId == stuck).Deadline);

        // Its budget ends: the lane is freed and the tenant stays due, from now rather than its old time (behind any
        // tenant due meanwhile), without a backoff and without counting an overrun; so it has its next turn at once.
        time.Advance(Options.TenantBudget);
        // A cap, not a timing: the fake clock decides; 60 s of real time only guards against a hang. (10 s ran out
        // once in a fresh-clone run with every test process busy on two cores.)
        await run.WaitAsync(TimeSpan.FromSeconds(60));
        var cut = queue.Completed.First(c => c.TenantId == stuck);
        Assert.Equal(EvaluationOutcome.Partial, cut.Update.Outcome);
        Assert.Equal(0, cut.Update.Overruns);
        Assert.Equal(Start + Options.TenantBudget, cut.Update.DueAgainSince);
        Assert.Equal(Start + Options.TenantBudget, cut.Update.NextAt);
        Assert.Equal(2, evaluator.Calls.Count(c => c.TenantId == stuck));
        Assert.Equal(EvaluationOutcome.Completed, queue.Completed.Last(c => c.TenantId == stuck).Update.Outcome);
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

    [Fact]
    public void A_tenant_that_evaluated_part_of_its_rules_within_its_budget_stays_due_behind_the_others_without_a_backoff()
    {
        var tenant = new DueTenant(Guid.NewGuid(), Start.AddSeconds(-30), Overruns: 2);
        var partial = RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Partial, Start, Start + Options.TenantBudget, Options);
        Assert.Equal(Start + Options.TenantBudget, partial.NextAt);
        Assert.Equal(0, partial.Overruns);
        Assert.Equal(Start + Options.TenantBudget, partial.DueAgainSince); // not its old time: the others go first
        Assert.Equal(EvaluationOutcome.Partial, partial.Outcome);
    }

    [Fact]
    public async Task A_tenant_with_more_rules_than_its_budget_holds_is_evaluated_in_turns_with_the_other_tenants_and_never_backed_off()
    {
        var time = new FakeTimeProvider(Start);
        var queue = new MemoryQueue(time);
        Guid large = Guid.NewGuid(), small = Guid.NewGuid();
        // The small tenant's traffic marks it due again during each of its turns.
        var evaluator = new ScriptedEvaluator(time)
        {
            WorkPerEvaluation = Options.TenantBudget,
            AfterWork = tenant => { if (tenant == small) queue.MarkDue(small, time.GetUtcNow()); },
        };
        evaluator.TooManyRules.Add(large);
        queue.MarkDue(large, Start.AddSeconds(-10));
        queue.MarkDue(small, Start.AddSeconds(-1));
        var options = new RuleEvaluationOptions { Parallelism = 1, RunBudget = Options.TenantBudget * 5 };

        await Runner(queue, evaluator, time, options).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        var turns = evaluator.Calls.Select(c => c.TenantId).ToList();
        Assert.Equal([large, small, large, small, large], turns);
        Assert.All(queue.Completed.Where(c => c.TenantId == large), c =>
        {
            Assert.Equal(EvaluationOutcome.Partial, c.Update.Outcome);
            Assert.Equal(0, c.Update.Overruns);
            Assert.Equal(c.At, c.Update.NextAt);
        });
    }

    private static AlertRule Rule(int n, DateTimeOffset? evaluatedAt = null, DateTimeOffset? failedAt = null, DateTimeOffset? retryAt = null) =>
        new(Guid.NewGuid(),
            new AlertRuleBody($"rule {n}", true, "warning",
                // A route filter with a consumer grouping reads raw events: every rule is a unit of its own.
                new RuleCondition("threshold", "error_rate", ">", 0.1, "5m", new RuleFilters(Route: $"/r{n}"), ["consumerId"]), "0s", null, null),
            Start.AddMinutes(n), Start.AddMinutes(n),
            evaluatedAt is null && failedAt is null ? null
                : new RuleEvaluationStatus(evaluatedAt, 1, 1000, false, failedAt is null ? null : "failed", failedAt, failedAt is null ? 0 : 1, retryAt));

    [Fact]
    public void Rules_take_turns_by_their_last_attempt_so_a_failing_or_too_slow_rule_goes_to_the_back_after_it_waits_out_its_backoff_and_never_blocks_the_others()
    {
        var neverTried = Rule(5);
        var evaluatedLongAgo = Rule(1, evaluatedAt: Start.AddSeconds(-50));
        var failedJustNow = Rule(2, evaluatedAt: Start.AddSeconds(-60), failedAt: Start.AddSeconds(-1), retryAt: Start);
        var evaluatedRecently = Rule(3, evaluatedAt: Start.AddSeconds(-5));
        // Failed long ago, not attempted since (a round was cut before it): its turn has come.
        var failedLongAgo = Rule(4, evaluatedAt: Start.AddSeconds(-90), failedAt: Start.AddSeconds(-80), retryAt: Start.AddSeconds(-75));
        // Backed off after failing: it waits until its retry time, whatever its turn.
        var backedOff = Rule(6, evaluatedAt: Start.AddSeconds(-300), failedAt: Start.AddSeconds(-2), retryAt: Start.AddSeconds(3));

        var order = AlertEvaluator.InTurn([evaluatedRecently, failedJustNow, backedOff, neverTried, failedLongAgo, evaluatedLongAgo], Start).Select(u => u.Rules.Single().Id);

        Assert.Equal([neverTried.Id, failedLongAgo.Id, evaluatedLongAgo.Id, evaluatedRecently.Id, failedJustNow.Id], order);
        Assert.Contains(backedOff.Id, AlertEvaluator.InTurn([backedOff], Start.AddSeconds(3)).Single().Rules.Select(r => r.Id));
    }

    [Fact]
    public void A_tenant_whose_rules_wait_out_their_interval_stays_due_from_when_the_first_of_them_may_run_again()
    {
        static AlertRule Over(string window, DateTimeOffset? evaluatedAt, DateTimeOffset? retryAt = null) => new(Guid.NewGuid(),
            new AlertRuleBody(window, true, "warning", new RuleCondition("threshold", "error_rate", ">", 0.1, window, new RuleFilters(Route: "/" + window), ["consumerId"]), "0s", null, null),
            Start.AddDays(-1), Start.AddDays(-1),
            evaluatedAt is null ? null : new RuleEvaluationStatus(evaluatedAt, 1, 1000, false, retryAt is null ? null : "failed", retryAt is null ? null : evaluatedAt, retryAt is null ? 0 : 1, retryAt));
        var fiveMinutesJustDone = Over("5m", Start.AddSeconds(-2));             // may run again at +3 s
        var backedOff = Over("10m", Start.AddSeconds(-60), retryAt: Start.AddSeconds(1)); // at +1 s
        var hourJustDone = Over("1h", Start.AddSeconds(-1));                    // at +59 s
        var inTurn = Over("1m", Start.AddSeconds(-30));

        Assert.Equal(Start.AddSeconds(1), AlertEvaluator.WaitingUntil([fiveMinutesJustDone, backedOff, hourJustDone, inTurn], Start));
        Assert.Equal(Start.AddSeconds(3), AlertEvaluator.WaitingUntil([fiveMinutesJustDone, hourJustDone, inTurn], Start));
        Assert.Null(AlertEvaluator.WaitingUntil([inTurn, Over("5m", null)], Start));

        // Completed with a rule waiting: due again from then (not done until the next sweep); without one: done.
        var tenant = new DueTenant(Guid.NewGuid(), Start.AddSeconds(-1), Overruns: 0);
        var waiting = RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Completed, Start, Start.AddSeconds(0.2), Options, Start.AddSeconds(3));
        Assert.Equal((Start.AddSeconds(1), (DateTimeOffset?)Start.AddSeconds(3)), (waiting.NextAt, waiting.DueAgainSince));
        Assert.Null(RuleEvaluationPolicy.After(tenant, EvaluationOutcome.Completed, Start, Start.AddSeconds(0.2), Options).DueAgainSince);
    }

    [Fact]
    public async Task A_tenant_due_from_a_future_time_is_claimed_then_and_not_before_unless_new_traffic_marks_it()
    {
        var time = new FakeTimeProvider(Start);
        var queue = new MemoryQueue(time);
        var tenant = Guid.NewGuid();
        queue.MarkDue(tenant, Start);
        var claimed = await queue.ClaimAsync(Start, TimeSpan.FromSeconds(30), default);
        await queue.CompleteAsync(claimed!, RuleEvaluationPolicy.After(claimed!, EvaluationOutcome.Completed, Start, Start, Options, Start.AddSeconds(5)), default);

        Assert.Null(await queue.ClaimAsync(Start.AddSeconds(4), TimeSpan.FromSeconds(30), default));
        Assert.Equal(tenant, (await queue.ClaimAsync(Start.AddSeconds(5), TimeSpan.FromSeconds(30), default))?.TenantId);

        await queue.CompleteAsync(claimed!, RuleEvaluationPolicy.After(claimed!, EvaluationOutcome.Completed, Start.AddSeconds(5), Start.AddSeconds(5), Options, Start.AddSeconds(10)), default);
        queue.MarkDue(tenant, Start.AddSeconds(7));
        Assert.Equal(tenant, (await queue.ClaimAsync(Start.AddSeconds(7), TimeSpan.FromSeconds(30), default))?.TenantId);
    }

    [Fact]
    public void A_rule_is_evaluated_at_most_once_per_sixtieth_of_its_window_from_a_second_to_a_minute()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), RuleEvaluationPolicy.RuleInterval(TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromSeconds(5), RuleEvaluationPolicy.RuleInterval(TimeSpan.FromMinutes(5)));
        Assert.Equal(TimeSpan.FromSeconds(60), RuleEvaluationPolicy.RuleInterval(TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromSeconds(60), RuleEvaluationPolicy.RuleInterval(TimeSpan.FromHours(24)));

        static AlertRule Over(string window, TimeSpan ago) => new(Guid.NewGuid(),
            new AlertRuleBody(window, true, "warning", new RuleCondition("threshold", "error_rate", ">", 0.1, window, new RuleFilters(Route: "/" + window), ["consumerId"]), "0s", null, null),
            Start.AddDays(-1), Start.AddDays(-1), new RuleEvaluationStatus(Start - ago, 1, 1000, false, null, null));
        var hourJustDone = Over("1h", TimeSpan.FromSeconds(59));
        var hourDue = Over("2h", TimeSpan.FromSeconds(60));
        var fiveMinutesJustDone = Over("5m", TimeSpan.FromSeconds(4));
        var minuteDue = Over("1m", TimeSpan.FromSeconds(1));

        var turn = AlertEvaluator.InTurn([hourJustDone, hourDue, fiveMinutesJustDone, minuteDue], Start).Select(u => u.Rules.Single().Id);

        Assert.Equal([hourDue.Id, minuteDue.Id], turn);
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
