using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PulseStream.Alerting;

/// <summary>
/// What one tenant's evaluation did: how many of its enabled rules it evaluated, how it ended, and the first time a
/// rule it had to leave out (evaluated too recently for its interval, or backed off) may run again (null: none).
/// </summary>
public sealed record TenantEvaluation(int Rules, int Evaluated, EvaluationOutcome Outcome, DateTimeOffset? RulesWaitUntil = null);

/// <summary>Evaluates one tenant's rules, stopping at <c>deadline</c> (and when the token is cancelled).</summary>
public interface ITenantRuleEvaluator
{
    Task<TenantEvaluation> EvaluateTenantAsync(Guid tenantId, DateTimeOffset deadline, CancellationToken ct);
}

/// <summary>
/// The <c>EvaluateDueRules</c> timer's work: a few lanes (<see cref="RuleEvaluationOptions.Parallelism"/>) each claim
/// the tenant due longest, evaluate it within the tenant budget, and record the outcome, until no tenant is due or
/// the invocation's run budget is spent (the next tick goes on). A slow tenant holds one lane for at most its budget
/// per turn and then queues behind the tenants already due; one whose evaluation fails is backed off; storing events
/// never waits for any of this.
/// </summary>
public sealed class DueRuleEvaluator(IDueTenantQueue queue, ITenantRuleEvaluator evaluator, IOptions<RuleEvaluationOptions> options, TimeProvider time,
    ILogger<DueRuleEvaluator> logger)
{
    /// <summary>Runs one round; returns how many tenant evaluations it made.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var stopClaimingAt = time.GetUtcNow() + settings.RunBudget;
        var evaluations = 0;
        await Task.WhenAll(Enumerable.Range(0, settings.Parallelism).Select(_ => Task.Run(LaneAsync, CancellationToken.None)));
        return evaluations;

        async Task LaneAsync()
        {
            while (!ct.IsCancellationRequested && time.GetUtcNow() < stopClaimingAt)
            {
                var tenant = await queue.ClaimAsync(time.GetUtcNow(), RuleEvaluationPolicy.Lease(settings), ct);
                if (tenant is null) return;
                var started = time.GetUtcNow();
                var (outcome, rulesWaitUntil) = await EvaluateWithinBudgetAsync(tenant, started, settings, ct);
                var update = RuleEvaluationPolicy.After(tenant, outcome, started, time.GetUtcNow(), settings, rulesWaitUntil);
                if (outcome == EvaluationOutcome.Failed)
                    logger.LogWarning("Evaluating the rules of tenant {TenantId} failed after {DurationMs} ms ({Overruns} in a row); next attempt in {BackoffSeconds} s",
                        tenant.TenantId, (long)update.Duration.TotalMilliseconds, update.Overruns, (long)(update.NextAt - time.GetUtcNow()).TotalSeconds);
                else if (outcome == EvaluationOutcome.Partial)
                    logger.LogDebug("Evaluating the rules of tenant {TenantId} reached the end of its {BudgetMs} ms budget; the rules not reached go first in its next turn",
                        tenant.TenantId, (long)settings.TenantBudget.TotalMilliseconds);
                // Recorded even while the host stops, so the tenant stays due instead of waiting out its lease.
                using var recording = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await queue.CompleteAsync(tenant, update, recording.Token);
                Interlocked.Increment(ref evaluations);
            }
        }
    }

    private async Task<(EvaluationOutcome Outcome, DateTimeOffset? RulesWaitUntil)> EvaluateWithinBudgetAsync(DueTenant tenant, DateTimeOffset started,
        RuleEvaluationOptions settings, CancellationToken ct)
    {
        using var budget = new CancellationTokenSource(settings.TenantBudget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, budget.Token);
        try
        {
            var evaluation = await evaluator.EvaluateTenantAsync(tenant.TenantId, started + settings.TenantBudget, linked.Token);
            var outcome = evaluation.Outcome != EvaluationOutcome.Completed && ct.IsCancellationRequested ? EvaluationOutcome.Interrupted : evaluation.Outcome;
            return (outcome, evaluation.RulesWaitUntil);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            return (EvaluationOutcome.Interrupted, null);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            // Before any unit could start (reading the rules took the budget): the same as a turn cut short.
            return (EvaluationOutcome.Partial, null);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Evaluating the rules of tenant {TenantId} failed", tenant.TenantId);
            return (EvaluationOutcome.Failed, null);
        }
    }
}
