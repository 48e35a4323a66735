using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Alerting.Routing;
using PulseStream.Http;
using PulseStream.Notifications;
using PulseStream.Notifications.Channels;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Alerting.Escalation;

/// <summary>
/// The escalation engine (issue 14 §1), driven by a timer: claims due rows of <c>escalation_state</c> across tenants
/// (<c>claim_due_escalations</c>: a lease, SKIP LOCKED) and moves each one position on, in one transaction of its
/// tenant under the evaluation's lock, re-reading the row under its claim token (a lapsed claim that another runner
/// took over is left alone). A step enqueues outbox deliveries to its channels (ids derived from alert, run, cycle,
/// step and channel, so the same step cannot be enqueued twice), writes a timeline entry naming whom it reached and
/// whom it skipped, and schedules the next step, its delay after this one; after the last step the next cycle, until
/// <c>repeat</c> is used up. The step's members are e-mailed through the outbox too (deliveries to a member, enqueued
/// in the step's transaction: a crash after the commit loses none, and the delivery log lists them). A muted alert's
/// step waits and is looked at again; an acknowledged alert that outlives the ack timeout fires again, its rule's own
/// channels hear <c>alert.firing</c> again (as PagerDuty's ack timeout re-opens the incident), and the policy starts over.
/// </summary>
public sealed class EscalationRunner(Database database, IServiceProvider services, IOptions<EscalationOptions> options,
    TimeProvider time, ILogger<EscalationRunner> logger)
{
    /// <summary>The timeline kind of what the engine does.</summary>
    public const string TimelineKind = "escalation";

    /// <summary>What one position's run leaves to do after its commit.</summary>
    private sealed record AfterCommit(AlertView? Retriggered = null);

    private static readonly AfterCommit Nothing = new();

    /// <summary>Runs one round: claims what is due and moves each on; returns how many rows it moved.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var claimed = new List<(Guid TenantId, Guid AlertId, Guid Token)>();
        await using (var claim = database.DataSource.CreateCommand("SELECT tenant_id, alert_id, claim_token FROM claim_due_escalations($1, $2, $3, $4)"))
        {
            claim.Parameters.AddWithValue(time.GetUtcNow());
            claim.Parameters.AddWithValue(settings.MaxPerRound);
            claim.Parameters.AddWithValue(settings.Lease);
            claim.Parameters.AddWithValue(settings.MaxPerTenantPerRound);
            await using var reader = await claim.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) claimed.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2)));
        }
        var moved = 0;
        foreach (var (tenantId, alertId, token) in claimed)
        {
            AfterCommit after;
            try
            {
                after = await database.ForTenantAsync(tenantId, (connection, transaction) => RunOneAsync(connection, transaction, tenantId, alertId, token, settings, ct), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Nothing of it was committed; the claim lapses after one lease and the position is tried again.
                logger.LogError(e, "Escalation of alert {AlertId} of tenant {TenantId} failed; it is tried again after the lease", alertId, tenantId);
                continue;
            }
            moved++;
            await FollowUpAsync(tenantId, alertId, after, ct);
        }
        return moved;
    }

    private async Task<AfterCommit> RunOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, Guid token,
        EscalationOptions settings, CancellationToken ct)
    {
        // Lock order as a person's ack or resolve and an evaluation take it: the tenant's evaluation lock, the alert, then
        // (the trigger's) escalation row. Without the first, a re-trigger could slip between an evaluation's read and write.
        await using (var lockTenant = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('alerts:' || $1::text, 0))", connection, transaction))
        {
            lockTenant.Parameters.AddWithValue(tenantId.ToString());
            await lockTenant.ExecuteNonQueryAsync(ct);
        }
        var alert = await AlertOfAsync(connection, transaction, tenantId, alertId, time.GetUtcNow(), ct);
        var row = await EscalationRow.ReadClaimedAsync(connection, transaction, tenantId, alertId, token, ct);
        if (row is null) return Nothing; // taken over after our lease lapsed, or stopped meanwhile
        var policy = await PolicyAsync(connection, transaction, tenantId, row.PolicyId, ct);
        if (alert is null || alert.State is not ("firing" or "acknowledged") || policy is null)
        {
            await EscalationRow.DeleteAsync(connection, transaction, tenantId, alertId, ct);
            return Nothing;
        }
        var now = time.GetUtcNow();
        var minute = settings.MinuteLength;

        if (alert.State == "acknowledged")
        {
            var timeout = row.AckTimeout ?? EscalationSchedule.AckTimeoutOf(policy, minute);
            if (timeout is not { } ackTimeout || alert.AcknowledgedAt is not { } acknowledgedAt)
            {
                await EscalationRow.DeleteAsync(connection, transaction, tenantId, alertId, ct);
                return Nothing;
            }
            if (acknowledgedAt + ackTimeout > now)
            {
                await EscalationRow.WaitAsync(connection, transaction, tenantId, alertId, "acknowledged", acknowledgedAt + ackTimeout, ackTimeout, ct);
                return Nothing;
            }
            return await RetriggerAsync(connection, transaction, tenantId, alert, row, policy, ackTimeout, now, minute, ct);
        }

        if (row.Phase == "starting")
        {
            // The first step is due its delay after the alert fired, in the policy as it is now.
            var first = EscalationSchedule.First(policy, row.NextAt, minute);
            await EscalationRow.MoveAsync(connection, transaction, tenantId, alertId, row.Run, first, EscalationSchedule.AckTimeoutOf(policy, minute), ct);
            return Nothing;
        }

        var labels = AlertLabels.Of(alert.RuleName, alert.Severity, alert.Rule?.Condition?.Filters, alert.Rule?.Condition?.GroupBy, alert.Group);
        var muted = await AlertMuting.FindAsync(connection, transaction, tenantId, [(alertId, labels)], now, ct);
        if (muted.TryGetValue(alertId, out var muting))
        {
            if (row.MutedSince is null)
                await AlertTimeline.AppendAsync(connection, transaction, tenantId, alertId, now, TimelineKind, alert.State, null, null,
                    $"{StepLabel(policy, row.Cycle, row.NextStep)} of {policy.Name} waits: a {muting.Kind} mutes the alert until {muting.Until:u}.", ct);
            var recheck = now + settings.MutedRecheck;
            await EscalationRow.MuteAsync(connection, transaction, tenantId, alertId, row.MutedSince ?? now, muting.Until < recheck ? muting.Until : recheck, ct);
            return Nothing;
        }

        var steps = policy.Steps ?? [];
        var position = new EscalationPosition(row.Cycle, row.NextStep, now);
        AfterCommit after = Nothing;
        // A step index past the policy's end (the policy lost steps since) notifies nobody and moves on.
        if (row.NextStep < steps.Count && steps[row.NextStep] is { } step)
            after = await NotifyAsync(connection, transaction, tenantId, alert.View, row, policy, step, now, ct);
        var runAckTimeout = row.AckTimeout ?? EscalationSchedule.AckTimeoutOf(policy, minute);
        if (EscalationSchedule.After(policy, position, minute) is { } next)
            await EscalationRow.MoveAsync(connection, transaction, tenantId, alertId, row.Run, next, runAckTimeout, ct);
        else if (runAckTimeout is { } finishedAckTimeout)
            await EscalationRow.FinishAsync(connection, transaction, tenantId, alertId, finishedAckTimeout, ct);
        else
            await EscalationRow.DeleteAsync(connection, transaction, tenantId, alertId, ct);
        return after;
    }

    /// <summary>One step: its channels' deliveries, its present members' e-mails, and its timeline entry.</summary>
    private static async Task<AfterCommit> NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertView alert,
        EscalationRow row, EscalationPolicyBody policy, EscalationStep step, DateTimeOffset now, CancellationToken ct)
    {
        var payload = JsonSerializer.SerializeToElement(alert, Json.Options);
        var channels = await EscalationDeliveries.EnqueueAsync(connection, transaction, tenantId, alert.Id, $"{row.Run}:{row.Cycle}:{row.NextStep}",
            step.ChannelIds ?? [], payload, now, ct);
        var members = await EscalationDeliveries.MembersAsync(connection, transaction, tenantId, step.UserIds ?? [], ct);
        await EscalationDeliveries.EnqueueMembersAsync(connection, transaction, tenantId, alert.Id, $"{row.Run}:{row.Cycle}:{row.NextStep}", members, payload, now, ct);

        var parts = new List<string>();
        var notified = channels.Where(c => c.Enqueued).Select(c => $"\"{c.Name}\"").ToList();
        if (notified.Count > 0) parts.Add($"notified {(notified.Count == 1 ? "channel" : "channels")} {string.Join(", ", notified)}");
        var emailed = members.Where(m => m.Email is not null).Select(m => m.Email!).ToList();
        if (emailed.Count > 0) parts.Add($"e-mailed {string.Join(", ", emailed)}");
        foreach (var channel in channels.Where(c => !c.Enqueued))
            parts.Add(channel.Name is null ? $"skipped channel {channel.Id} (deleted)" : $"skipped channel \"{channel.Name}\" (disabled)");
        var removed = members.Count(m => m.Email is null);
        if (removed > 0) parts.Add(removed == 1 ? "skipped a member who is no longer in the tenant" : $"skipped {removed} members who are no longer in the tenant");
        if (parts.Count == 0) parts.Add("reached nobody");
        var label = StepLabel(policy, row.Cycle, row.NextStep);
        await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.Id, now, TimelineKind, alert.State, null, null,
            $"{label} of {policy.Name}: {string.Join("; ", parts)}.", ct);
        return Nothing;
    }

    /// <summary>
    /// The ack timeout has passed: the alert fires again (no longer acknowledged), its rule's own channels are sent
    /// <c>alert.firing</c> again in this transaction (enqueued directly, as a step's are: a re-trigger is not a change
    /// evaluation groups), unless a silence or maintenance window mutes it now (then the firing notification is held, and
    /// the release sends it when the muting ends, as for any muted firing), and the policy runs again from its first step.
    /// </summary>
    private static async Task<AfterCommit> RetriggerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, EscalatedAlert alert,
        EscalationRow row, EscalationPolicyBody policy, TimeSpan ackTimeout, DateTimeOffset now, TimeSpan minute, CancellationToken ct)
    {
        await using (var update = new NpgsqlCommand("""
            UPDATE alerts SET state = 'firing', acknowledged_at = NULL, acknowledged_by = NULL, updated_at = $3
            WHERE tenant_id = $1 AND id = $2 AND state = 'acknowledged'
            """, connection, transaction))
        {
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(alert.View.Id);
            update.Parameters.AddWithValue(now);
            await update.ExecuteNonQueryAsync(ct);
        }
        await AlertTimeline.AppendAsync(connection, transaction, tenantId, alert.View.Id, now, TimelineKind, "firing", null, null,
            $"Not resolved within the ack timeout ({policy.AckTimeout}) of {policy.Name}: firing again, and the policy starts again.", ct);
        await EscalationRow.RestartAsync(connection, transaction, tenantId, alert.View.Id, row.Run + 1, EscalationSchedule.First(policy, now, minute), ackTimeout, ct);
        var view = await AlertQueries.FindAsync(connection, transaction, tenantId, alert.View.Id, now, ct);
        if (view is not null) await NotifyRuleChannelsAsync(connection, transaction, tenantId, view, alert.Rule?.ChannelIds ?? [], now, ct);
        return new AfterCommit(Retriggered: view);
    }

    private static async Task NotifyRuleChannelsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertView view,
        IReadOnlyList<Guid> channels, DateTimeOffset now, CancellationToken ct)
    {
        if (view.Silenced is { } muting)
        {
            await AlertNotices.SetFiringNoticeAsync(connection, transaction, tenantId, [view.Id], "held", ct);
            await AlertTimeline.AppendAsync(connection, transaction, tenantId, view.Id, now, "muted", view.State, view.Value, null,
                $"Not notified: {AlertNotices.Describe(muting)} mutes this alert until {muting.Until:u}; its firing notification is sent then if it still fires.", ct);
            return;
        }
        await AlertNotices.SetFiringNoticeAsync(connection, transaction, tenantId, [view.Id], null, ct);
        if (channels.Count > 0)
            await NotificationOutbox.EnqueueAsync(connection, transaction, tenantId, channels, view.Id, "alert.firing", JsonSerializer.SerializeToElement(view, Json.Options), now, ct);
    }

    /// <summary>What is done once committed: the live feed hears of a re-trigger.</summary>
    private async Task FollowUpAsync(Guid tenantId, Guid alertId, AfterCommit after, CancellationToken ct)
    {
        if (after.Retriggered is { } view && services.GetService<IRealtimePublisher>() is { } realtime)
        {
            try
            {
                await realtime.SendToTenantAsync(tenantId, RealtimeTargets.Alert, view, ct);
            }
            catch (HttpRequestException e)
            {
                logger.LogWarning(e, "Pushing re-triggered alert {AlertId} live failed", alertId);
            }
        }
    }

    /// <summary>"Step 2 of 3", and the cycle when the policy repeats: "Step 2 of 3 (cycle 2 of 4)".</summary>
    internal static string StepLabel(EscalationPolicyBody policy, int cycle, int step)
    {
        var cycles = EscalationSchedule.CyclesOf(policy);
        var label = $"Step {step + 1} of {policy.Steps?.Count ?? 0}";
        return cycles > 1 ? $"{label} (cycle {cycle + 1} of {cycles})" : label;
    }

    /// <summary>An alert as the engine needs it: its view (the payload of its deliveries), when it was acknowledged, and its rule (for matchers).</summary>
    private sealed record EscalatedAlert(AlertView View, AlertRuleBody? Rule)
    {
        public string State => View.State;
        public string RuleName => View.RuleName;
        public string Severity => View.Severity;
        public string Group => View.Group;
        public DateTimeOffset? AcknowledgedAt => View.AcknowledgedAt;
    }

    private static async Task<EscalatedAlert?> AlertOfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId,
        DateTimeOffset now, CancellationToken ct)
    {
        string? definition;
        await using (var select = new NpgsqlCommand("""
            SELECT r.definition::text FROM alerts a LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id AND r.id = a.rule_id
            WHERE a.tenant_id = $1 AND a.id = $2 FOR UPDATE OF a
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(tenantId);
            select.Parameters.AddWithValue(alertId);
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            definition = reader.IsDBNull(0) ? null : reader.GetString(0);
        }
        var view = await AlertQueries.FindAsync(connection, transaction, tenantId, alertId, now, ct);
        if (view is null) return null;
        // The alert's stored rule name counts (a renamed rule's alerts keep theirs), as the muting of notifications reads it.
        AlertRuleBody? rule = null;
        try
        {
            rule = definition is null ? null : JsonSerializer.Deserialize<AlertRuleBody>(definition, Json.Options);
        }
        catch (JsonException)
        {
            // A rule stored in an older shape: the alert still matches on its name, severity and group.
        }
        return new EscalatedAlert(view, rule);
    }

    private static async Task<EscalationPolicyBody?> PolicyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid policyId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT definition::text FROM escalation_policies WHERE tenant_id = $1 AND id = $2", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(policyId);
        return await command.ExecuteScalarAsync(ct) is string json ? JsonSerializer.Deserialize<EscalationPolicyBody>(json, Json.Options) : null;
    }
}
