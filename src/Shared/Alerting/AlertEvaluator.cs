using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>An alert as the API, the live feed and notifications show it.</summary>
public sealed record AlertView(Guid Id, Guid RuleId, string RuleName, string State, string Severity, DateTimeOffset StartedAt, double? Value, string Group);

/// <summary>
/// Evaluates a tenant's enabled rules against the rollups and applies the state machine, within a deadline (the
/// tenant's time budget, <see cref="DueRuleEvaluator"/>). Each rule is evaluated in its own transaction under the
/// tenant's advisory lock, with <c>statement_timeout</c> set to what is left of the budget, so a rule that runs out
/// costs only its own work; rules take turns (least recently evaluated first, the last to fail at the end), so a
/// tenant whose rules do not all fit in one budget still has each evaluated in turn. A rule evaluates at most
/// <see cref="RuleEvaluationOptions.MaxGroupsPerRule"/> groups (<see cref="RuleGroupSelection"/>). Transitions to
/// firing and resolved enqueue notification deliveries in the rule's transaction (the outbox), and are pushed to the
/// tenant's live dashboards after commit (<see cref="AlertTransitions"/>). How each rule's evaluation went is stored
/// with the rule.
/// </summary>
public sealed class AlertEvaluator(Database database, RuleMetricQuery metrics, TimeProvider time, IRealtimePublisher realtime, IOptions<RuleEvaluationOptions> options, ILogger<AlertEvaluator> logger)
    : ITenantRuleEvaluator
{
    internal const string BudgetError = "The evaluation ran out of the tenant's time budget; it is retried with backoff.";
    internal const string FailureError = "The evaluation failed; it is retried with backoff.";

    public async Task<TenantEvaluation> EvaluateTenantAsync(Guid tenantId, DateTimeOffset deadline, CancellationToken ct)
    {
        var rules = await database.ForTenantAsync(tenantId, (c, t) => AlertRuleStore.ListAsync(c, t, tenantId, enabledOnly: true, ct), ct);
        var evaluated = 0;
        var failed = false;
        foreach (var rule in InTurn(rules))
        {
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return new TenantEvaluation(rules.Count, evaluated, EvaluationOutcome.OverBudget);
            List<AlertView> changes;
            try
            {
                changes = await EvaluateRuleAsync(tenantId, rule, remaining, ct);
            }
            catch (Exception e) when (IsBudgetStop(e, deadline))
            {
                await RecordErrorAsync(tenantId, rule, BudgetError);
                return new TenantEvaluation(rules.Count, evaluated, EvaluationOutcome.OverBudget);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Evaluating rule {RuleId} of tenant {TenantId} failed", rule.Id, tenantId);
                await RecordErrorAsync(tenantId, rule, FailureError);
                failed = true;
                continue;
            }
            evaluated++;
            await PublishAsync(tenantId, changes, ct);
        }
        return new TenantEvaluation(rules.Count, evaluated, failed ? EvaluationOutcome.Failed : EvaluationOutcome.Completed);
    }

    /// <summary>Rules whose last attempt failed go last; the others least recently evaluated first, then in creation order.</summary>
    private static IEnumerable<AlertRule> InTurn(List<AlertRule> rules) =>
        rules.OrderBy(r => r.Evaluation?.LastError is not null).ThenBy(r => r.Evaluation?.LastEvaluatedAt ?? DateTimeOffset.MinValue);

    /// <summary>
    /// How early the budget's cancellation may fire by the wall clock: its timer counts whole milliseconds of another
    /// clock, so it can fire just before <c>deadline</c> reads as passed.
    /// </summary>
    internal static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(50);

    private bool IsBudgetStop(Exception e, DateTimeOffset deadline) => IsBudgetStop(e, time.GetUtcNow(), deadline);

    /// <summary>The budget stopped the rule: a statement's timeout, or the deadline's cancellation.</summary>
    internal static bool IsBudgetStop(Exception e, DateTimeOffset now, DateTimeOffset deadline) =>
        e is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled }
        || e is NpgsqlException { InnerException: PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } }
        || (e is OperationCanceledException && now >= deadline - TimerSlack);

    private async Task<List<AlertView>> EvaluateRuleAsync(Guid tenantId, AlertRule rule, TimeSpan remaining, CancellationToken ct)
    {
        var bound = options.Value.MaxGroupsPerRule;
        return await database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            // Every statement of this transaction, the lock wait included, ends by the tenant's deadline (0 would mean none).
            await using (var limit = new NpgsqlCommand("SELECT set_config('statement_timeout', $1, true)", connection, transaction))
            {
                limit.Parameters.AddWithValue(Math.Max(1L, (long)Math.Ceiling(remaining.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture));
                await limit.ExecuteNonQueryAsync(ct);
            }
            await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
            {
                lockTenant.Parameters.AddWithValue(tenantId.ToString());
                await lockTenant.ExecuteNonQueryAsync(ct);
            }
            var now = time.GetUtcNow();
            var open = await OpenAlertsAsync(connection, transaction, tenantId, rule.Id, ct);
            var answer = await metrics.ComputeAsync(connection, transaction, tenantId, rule, now, open.Keys, bound + 1, ct);
            var selection = RuleGroupSelection.From(answer, open.Keys, bound);
            var decisions = selection.Measured.Select(m => Decide(rule, m.GroupKey, m, open, now))
                .Concat(selection.WithoutData.Select(group => Decide(rule, group, null, open, now)))
                .Where(d => d.Transition != AlertTransition.None).ToList();
            var changed = await AlertTransitions.ApplyAsync(connection, transaction, tenantId, rule, decisions, now, ct);
            await AlertRuleStore.SaveEvaluationAsync(connection, transaction, tenantId, rule.Id,
                new RuleEvaluationStatus(now, selection.Measured.Count, bound, selection.LimitHit, null, null), ct);
            return changed;
        }, ct);
    }


    private static AlertDecision Decide(AlertRule rule, string group, GroupValue? measured, Dictionary<string, OpenAlert> open, DateTimeOffset now)
    {
        var condition = rule.Body.Condition;
        var met = measured is { Value: { } value } && measured.Requests >= (condition.MinRequests ?? 0)
            && AlertStateMachine.Compare(value, condition.Operator, condition.Threshold);
        open.TryGetValue(group, out var current);
        return new AlertDecision(group, current, AlertStateMachine.Next(current, met, now, rule.For), measured?.Value);
    }

    /// <summary>Keeps the rule's last good figures and says why this attempt did not complete (no internal detail).</summary>
    private async Task RecordErrorAsync(Guid tenantId, AlertRule rule, string error)
    {
        var now = time.GetUtcNow();
        var status = (rule.Evaluation ?? new RuleEvaluationStatus(null, 0, options.Value.MaxGroupsPerRule, false, null, null)) with { LastError = error, LastErrorAt = now };
        try
        {
            // Not the evaluation's token: that one has run out. A short limit of its own instead.
            using var recording = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await database.ForTenantAsync(tenantId, (c, t) => AlertRuleStore.SaveEvaluationAsync(c, t, tenantId, rule.Id, status, recording.Token), recording.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            logger.LogWarning(e, "Recording the evaluation error of rule {RuleId} of tenant {TenantId} failed", rule.Id, tenantId);
        }
    }

    private async Task PublishAsync(Guid tenantId, List<AlertView> changes, CancellationToken ct)
    {
        try
        {
            foreach (var alert in changes)
                await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, alert, ct);
        }
        catch (HttpRequestException e)
        {
            // The transitions are committed and notified through the outbox; only the live push is lost.
            logger.LogWarning(e, "Pushing {Count} alert transitions of tenant {TenantId} live failed", changes.Count, tenantId);
        }
    }

    private static async Task<Dictionary<string, OpenAlert>> OpenAlertsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid ruleId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT group_key, id, state, started_at FROM alerts WHERE tenant_id = $1 AND rule_id = $2 AND state <> 'resolved'",
            connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleId);
        var open = new Dictionary<string, OpenAlert>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            open[reader.GetString(0)] = new OpenAlert(reader.GetGuid(1), AlertStateMachine.Parse(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3));
        return open;
    }
}
