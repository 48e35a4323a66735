using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>
/// An alert as the API, the live feed and notifications show it: the contract's fields, then when it fired, who
/// acknowledged and resolved it and why it resolved, the silence or maintenance window muting it now (written as
/// null when not, so every reader sees every field), and whether it flaps (<see cref="AlertFlapping"/>): an open alert
/// marked flapping, since when; an anomaly alert's explanation (null for other rules). <see cref="FlappingStarted"/> is no field: it tells the notices that this change
/// started its flapping (<c>alert.flapping</c>).
/// </summary>
public sealed record AlertView(Guid Id, Guid RuleId, string RuleName, string State, string Severity, DateTimeOffset StartedAt, double? Value, string Group,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? FiringAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? AcknowledgedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] AlertActor? AcknowledgedBy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? ResolvedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] AlertActor? ResolvedBy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? ResolvedReason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Routing.Muting? Silenced = null,
    bool Flapping = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? FlappingSince = null,
    [property: JsonIgnore] bool FlappingStarted = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] Anomalies.AnomalyExplanation? Explanation = null);

/// <summary>A person who acted on an alert (the e-mail is null once they left the tenant).</summary>
public sealed record AlertActor(Guid UserId, string? Email);

/// <summary>
/// Evaluates a tenant's enabled rules against the rollups and applies the state machine, within a deadline (the
/// tenant's time budget, <see cref="DueRuleEvaluator"/>). Rules that read the same rollup set over the same window
/// (<see cref="RuleReadBatch"/>) are evaluated together, as one unit: one transaction under the tenant's advisory lock,
/// with <c>statement_timeout</c> set to what is left of the budget, that reads the unit's open alerts with one
/// statement, the rollups with one, writes each rule's transitions and all of the unit's evaluation figures with one;
/// a rule that no rollup set answers (raw events) is a unit of its own (<see cref="RuleMetricQuery"/>), and so is a
/// burn-rate rule, which reads its SLO's windows (<see cref="Slos.BurnRateReads"/>), and an anomaly rule, which judges
/// its groups against their baselines (<see cref="Anomalies.AnomalyReads"/>). A unit that
/// runs out of budget or fails costs only its own rules; units take turns (the unit holding the least recently
/// attempted rule first, <see cref="InTurn"/>), so a tenant whose units do not all fit in one budget has each
/// evaluated in turn, the next turn starting where the last one stopped (<see cref="EvaluationOutcome.Partial"/>). A rule evaluates at most <see cref="RuleEvaluationOptions.MaxGroupsPerRule"/>
/// groups (<see cref="RuleGroupSelection"/>). Transitions to firing and resolved enqueue notification deliveries in
/// the unit's transaction (the outbox), and are pushed to the tenant's live dashboards after commit
/// (<see cref="AlertTransitions"/>). How each rule's evaluation went is stored with the rule.
/// </summary>
public sealed class AlertEvaluator(Database database, RuleMetricQuery metrics, TimeProvider time, IRealtimePublisher realtime, IOptions<RuleEvaluationOptions> options, ILogger<AlertEvaluator> logger)
    : ITenantRuleEvaluator
{
    internal const string BudgetError = "The evaluation ran out of the tenant's time budget; it is retried with backoff.";
    internal const string FailureError = "The evaluation failed; it is retried with backoff.";

    /// <summary>Rules evaluated together: those sharing one rollup read, or one rule read from raw events (no key).</summary>
    internal sealed record EvaluationUnit(RuleReadKey? Key, List<AlertRule> Rules);

    public async Task<TenantEvaluation> EvaluateTenantAsync(Guid tenantId, DateTimeOffset deadline, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var rules = await database.ForTenantAsync(tenantId, (c, t) => AlertRuleStore.ListAsync(c, t, tenantId, enabledOnly: true, ct), ct);
        var evaluated = 0;
        var failed = false;
        var waiting = WaitingUntil(rules, started);
        foreach (var unit in InTurn(rules, started))
        {
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return new TenantEvaluation(rules.Count, evaluated, EvaluationOutcome.Partial, waiting);
            List<AlertView> changes;
            try
            {
                changes = await EvaluateUnitAsync(tenantId, unit, remaining, ct);
            }
            catch (Exception e) when (IsBudgetStop(e, deadline))
            {
                // A unit that had at least half the budget and did not finish is too slow: its rules are backed off
                // (RecordErrorAsync). One cut short because what came before it used the budget is left as it was,
                // least recently evaluated, so the next turn starts with it. Either way the tenant is not backed off:
                // its other rules are waiting.
                if (TooSlow(remaining, deadline - started))
                {
                    var retryIn = await RecordErrorAsync(tenantId, unit.Rules, BudgetError);
                    logger.LogWarning("Evaluating {Count} rules of tenant {TenantId} (first {RuleId}) ran out of the tenant's time budget ({BudgetMs} ms); they are attempted again in {RetrySeconds} s",
                        unit.Rules.Count, tenantId, unit.Rules[0].Id, (long)(deadline - started).TotalMilliseconds, (long)retryIn.TotalSeconds);
                }
                return new TenantEvaluation(rules.Count, evaluated, EvaluationOutcome.Partial, waiting);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Evaluating {Count} rules of tenant {TenantId} (first {RuleId}) failed", unit.Rules.Count, tenantId, unit.Rules[0].Id);
                await RecordErrorAsync(tenantId, unit.Rules, FailureError);
                failed = true;
                continue;
            }
            evaluated += unit.Rules.Count;
            await PublishAsync(tenantId, changes);
        }
        // Failing rules are backed off one by one (lastError, retryAt); the tenant only when nothing else could be
        // evaluated (the store is failing, most likely).
        return new TenantEvaluation(rules.Count, evaluated, failed && evaluated == 0 ? EvaluationOutcome.Failed : EvaluationOutcome.Completed, waiting);
    }

    /// <summary>A unit stopped by the budget was itself too slow when it had at least half of the whole budget.</summary>
    internal static bool TooSlow(TimeSpan hadLeft, TimeSpan budget) => hadLeft >= budget / 2;

    /// <summary>
    /// Rules least recently attempted first (never attempted first of all), whether the attempt completed or failed,
    /// then in creation order; rules backed off after failing (<see cref="RuleEvaluationStatus.RetryAt"/>) wait, and so
    /// do rules evaluated more recently than their window calls for (<see cref="RuleEvaluationPolicy.RuleInterval"/>). So
    /// every rule has its turn once per cycle, one that failed or was too slow goes to the back after its attempt and
    /// never blocks the others, and a tenant whose rules take longer than its budget is evaluated through in turns.
    /// Units come in the turn of their first rule, their rules in turn within them.
    /// </summary>
    internal static IEnumerable<EvaluationUnit> InTurn(List<AlertRule> rules, DateTimeOffset now)
    {
        var ordered = rules.Where(r => r.Evaluation?.RetryAt is not { } retryAt || retryAt <= now)
            .Where(r => r.Evaluation?.LastEvaluatedAt is not { } last || now - last >= RuleEvaluationPolicy.RuleInterval(r.Window))
            .OrderBy(LastAttemptAt).ThenBy(r => r.CreatedAt).ToList();
        var units = new List<EvaluationUnit>();
        var shared = new Dictionary<RuleReadKey, EvaluationUnit>();
        foreach (var rule in ordered)
        {
            if (RuleReadBatch.KeyOf(rule) is not { } key) units.Add(new EvaluationUnit(null, [rule]));
            else if (shared.TryGetValue(key, out var unit)) unit.Rules.Add(rule);
            else units.Add(shared[key] = new EvaluationUnit(key, [rule]));
        }
        return units;
    }

    /// <summary>
    /// The first time a rule that <see cref="InTurn"/> leaves out at <paramref name="now"/> (backed off, or evaluated
    /// more recently than its interval allows) may be evaluated again; null when every rule is in turn. The tenant
    /// stays due from then, so what such a rule has not seen yet is evaluated once its interval has passed.
    /// </summary>
    internal static DateTimeOffset? WaitingUntil(List<AlertRule> rules, DateTimeOffset now) =>
        rules.Select(EligibleAt).Where(at => at > now).Select(at => (DateTimeOffset?)at).Min();

    private static DateTimeOffset EligibleAt(AlertRule rule) => rule.Evaluation switch
    {
        null => DateTimeOffset.MinValue,
        var e => Max(e.RetryAt ?? DateTimeOffset.MinValue,
            e.LastEvaluatedAt is { } last ? last + RuleEvaluationPolicy.RuleInterval(rule.Window) : DateTimeOffset.MinValue),
    };

    private static DateTimeOffset LastAttemptAt(AlertRule rule) => rule.Evaluation switch
    {
        null => DateTimeOffset.MinValue,
        var e => Max(e.LastEvaluatedAt ?? DateTimeOffset.MinValue, e.LastErrorAt ?? DateTimeOffset.MinValue),
    };

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

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

    private async Task<List<AlertView>> EvaluateUnitAsync(Guid tenantId, EvaluationUnit unit, TimeSpan remaining, CancellationToken ct)
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
            // A rule changed, disabled or deleted since it was read is left to the next round (AlertRuleChanges).
            var unchanged = await AlertRuleChanges.UnchangedAsync(connection, transaction, tenantId, unit.Rules, ct);
            if (unchanged.Count < unit.Rules.Count) unit = unit with { Rules = unit.Rules.Where(r => unchanged.Contains(r.Id)).ToList() };
            if (unit.Rules.Count == 0) return [];
            var now = time.GetUtcNow();
            var open = await OpenAlertsAsync(connection, transaction, tenantId, unit.Rules.Select(r => r.Id).ToArray(), ct);
            var openGroups = unit.Rules.ToDictionary(r => r.Id, r => (IReadOnlyCollection<string>)OpenOf(open, r.Id).Keys);
            Anomalies.AnomalyScores? anomaly = null;
            var answers = unit.Key is { } key
                ? await RuleReadBatch.ComputeAsync(connection, transaction, tenantId, key, unit.Rules, now, openGroups, bound + 1, ct)
                : new Dictionary<Guid, List<GroupValue>>
                {
                    [unit.Rules[0].Id] = unit.Rules[0].Body.Condition switch
                    {
                        { IsBurnRate: true } => await Slos.BurnRateReads.ComputeAsync(connection, transaction, tenantId, unit.Rules[0], now, openGroups[unit.Rules[0].Id], bound + 1, ct),
                        { IsAnomaly: true } => (anomaly = await Anomalies.AnomalyReads.ComputeAsync(connection, transaction, tenantId, unit.Rules[0], metrics, now, openGroups[unit.Rules[0].Id], bound + 1, ct)).Scores,
                        _ => await metrics.ComputeAsync(connection, transaction, tenantId, unit.Rules[0], now, openGroups[unit.Rules[0].Id], bound + 1, ct),
                    },
                };
            var changed = new List<AlertView>();
            var statuses = new List<(Guid RuleId, RuleEvaluationStatus Status)>(unit.Rules.Count);
            foreach (var rule in unit.Rules)
            {
                var ruleOpen = OpenOf(open, rule.Id);
                var known = GroupReadings.SilenceCanAlert(rule)
                    ? (await metrics.ComputeAsync(connection, transaction, tenantId, TrafficOver(rule, rule.KnownFor), now, [], bound, ct)).Select(g => g.GroupKey).ToList()
                    : [];
                var selection = RuleGroupSelection.From(answers[rule.Id], ruleOpen.Keys, bound, known);
                var silent = await SilenceAsync(connection, transaction, tenantId, rule, selection.WithoutData, now, bound, ct);
                var flaps = rule.Flap is null ? new Dictionary<string, FlapHistory>() : await AlertFlapStore.ReadAsync(connection, transaction, tenantId, rule.Id,
                    selection.Measured.Select(m => m.GroupKey).Concat(selection.WithoutData).ToArray(), ct);
                var all = selection.Measured.Select(m => Decide(rule, m.GroupKey, m, ruleOpen, flaps, now, silent: false))
                    .Concat(selection.WithoutData.Select(group => Decide(rule, group, null, ruleOpen, flaps, now, silent(group)))).ToList();
                if (rule.Flap is not null) await AlertFlapStore.SaveAsync(connection, transaction, tenantId, rule, all, now, ct);
                var decisions = all.Where(d => d.Transition != AlertTransition.None).ToList();
                if (anomaly is not null) decisions = await Anomalies.AnomalyExplainer.AttachAsync(connection, transaction, tenantId, rule, anomaly, decisions, metrics, now, ct);
                await AlertClearing.ApplyAsync(connection, transaction, tenantId, decisions, now, ct);
                changed.AddRange(await AlertTransitions.ApplyAsync(connection, transaction, tenantId, rule,
                    decisions.Where(d => AlertClearing.ChangesState(d.Transition)).ToList(), now, ct));
                statuses.Add((rule.Id, new RuleEvaluationStatus(now, selection.Measured.Count, bound, selection.LimitHit, null, null)));
            }
            await AlertRuleStore.SaveEvaluationsAsync(connection, transaction, tenantId, statuses, ct);
            return changed;
        }, ct);
    }

    private static Dictionary<string, OpenAlert> OpenOf(Dictionary<Guid, Dictionary<string, OpenAlert>> open, Guid ruleId) =>
        open.TryGetValue(ruleId, out var alerts) ? alerts : [];

    private static AlertDecision Decide(AlertRule rule, string group, GroupValue? measured, Dictionary<string, OpenAlert> open,
        IReadOnlyDictionary<string, FlapHistory> flaps, DateTimeOffset now, bool silent)
    {
        var condition = rule.Body.Condition;
        var (value, requests) = measured is null ? (null, 0) : (measured.Value, measured.Requests);
        var reading = GroupReadings.Of(condition, value, requests, silent);
        open.TryGetValue(group, out var current);
        var stored = flaps.GetValueOrDefault(group);
        var step = AlertFlapping.Next(current, stored, reading, now, rule.Timing, rule.Flap);
        return new AlertDecision(group, current, step.Transition, GroupReadings.ValueOf(condition, value, requests), step.Mark, step.Note,
            step.History.SameAs(stored ?? FlapHistory.Empty) ? null : step.History);
    }

    /// <summary>The rule read as a request count over <paramref name="span"/> ending now: which of its groups had traffic then.</summary>
    private static AlertRule TrafficOver(AlertRule rule, TimeSpan span) => rule with
    {
        Body = rule.Body with
        {
            Condition = rule.Body.Condition with { Metric = GroupReadings.RequestCount, Window = $"{(long)span.TotalMinutes}m" },
        },
    };

    /// <summary>
    /// Which of <paramref name="withoutData"/> (groups without requests in the window) had none for the rule's
    /// <c>noDataFor</c> either. With <c>noDataFor</c> the window (the default), all of them; longer, those that one more
    /// read over <c>noDataFor</c> does not find (none, if that read reached the group bound: it may have cut them).
    /// </summary>
    private async Task<Func<string, bool>> SilenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertRule rule,
        IReadOnlyList<string> withoutData, DateTimeOffset now, int bound, CancellationToken ct)
    {
        if (withoutData.Count == 0 || rule.NoDataFor <= rule.Window || rule.Body.Condition.Metric == GroupReadings.RequestCount) return _ => true;
        var recent = await metrics.ComputeAsync(connection, transaction, tenantId, TrafficOver(rule, rule.NoDataFor), now, [], bound + 1, ct);
        if (recent.Count > bound) return _ => false;
        var heard = recent.Select(g => g.GroupKey).ToHashSet(StringComparer.Ordinal);
        return group => !heard.Contains(group);
    }

    /// <summary>
    /// Keeps the rules' last good figures, says why this attempt did not complete (no internal detail), and backs the
    /// rules off: the wait doubles with each attempt in a row that did not complete. Returns the wait.
    /// </summary>
    private async Task<TimeSpan> RecordErrorAsync(Guid tenantId, List<AlertRule> rules, string error)
    {
        var now = time.GetUtcNow();
        var failures = rules.Max(r => r.Evaluation?.FailuresInARow ?? 0) + 1;
        var retryIn = RuleEvaluationPolicy.Backoff(failures, options.Value);
        var statuses = rules.Select(rule => (rule.Id, (rule.Evaluation ?? new RuleEvaluationStatus(null, 0, options.Value.MaxGroupsPerRule, false, null, null)) with
        {
            LastError = error, LastErrorAt = now, FailuresInARow = failures, RetryAt = now + retryIn,
        })).ToList();
        try
        {
            // Not the evaluation's token: that one has run out. A short limit of its own instead.
            using var recording = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await database.ForTenantAsync(tenantId, (c, t) => AlertRuleStore.SaveEvaluationsAsync(c, t, tenantId, statuses, recording.Token), recording.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            logger.LogWarning(e, "Recording the evaluation error of {Count} rules of tenant {TenantId} failed", rules.Count, tenantId);
        }
        return retryIn;
    }

    /// <summary>Live pushes of a unit's committed transitions at the same time, a few at once.</summary>
    private const int ConcurrentPushes = 8;

    /// <summary>
    /// Pushes a committed unit's transitions to the tenant's dashboards. Not under the tenant's budget (its token may
    /// have run out by now): what is committed is pushed, within a bound of its own.
    /// </summary>
    private async Task PublishAsync(Guid tenantId, List<AlertView> changes)
    {
        if (changes.Count == 0) return;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await Parallel.ForEachAsync(changes, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentPushes, CancellationToken = bound.Token },
                async (alert, token) => await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, alert, token));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // The transitions are committed and notified through the outbox; only the live push is lost.
            logger.LogWarning(e, "Pushing {Count} alert transitions of tenant {TenantId} live failed", changes.Count, tenantId);
        }
    }

    /// <summary>The open alerts of <paramref name="ruleIds"/>, per rule and group, with one statement.</summary>
    private static async Task<Dictionary<Guid, Dictionary<string, OpenAlert>>> OpenAlertsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        Guid[] ruleIds, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT rule_id, group_key, id, state, started_at, cleared_at, flapping_since FROM alerts WHERE tenant_id = $1 AND rule_id = ANY($2) AND state <> 'resolved'",
            connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(ruleIds);
        var open = new Dictionary<Guid, Dictionary<string, OpenAlert>>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var ruleId = reader.GetGuid(0);
            if (!open.TryGetValue(ruleId, out var alerts)) open[ruleId] = alerts = [];
            alerts[reader.GetString(1)] = new OpenAlert(reader.GetGuid(2), AlertStateMachine.Parse(reader.GetString(3)), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
        }
        return open;
    }
}
