using PulseStream.Metrics;

namespace PulseStream.Alerting.Escalation;

/// <summary>One step of one cycle of a running policy and the instant it becomes due.</summary>
/// <param name="Cycle">0 for the first run of the policy, 1 for the first repeat, and so on.</param>
/// <param name="StepIndex">The step's index in the policy's <c>steps</c>.</param>
/// <param name="DueAt">When the step notifies, if the alert is still unacknowledged and unresolved.</param>
public readonly record struct EscalationPosition(int Cycle, int StepIndex, DateTimeOffset DueAt);

/// <summary>
/// The step schedule of a policy as a pure function of the policy, the instant the run started (the alert began
/// firing, or the ack timeout re-triggered it) and now. Each step is due its <c>delay</c> after the step before;
/// the first step of a cycle is due its delay after the last step of the cycle before (the first cycle: after the
/// run started). A run has <c>repeat + 1</c> cycles. The engine stores only the next position, so this is where the
/// arithmetic lives and where it is tested. <c>minute</c>, when given, is how long a policy's minute lasts (the
/// test-only <c>Escalation__MinuteLength</c>); a real minute otherwise.
/// </summary>
public static class EscalationSchedule
{
    /// <summary>The number of cycles a run has: the first plus <c>repeat</c> more.</summary>
    public static int CyclesOf(EscalationPolicyBody policy) => 1 + Math.Max(0, policy.Repeat ?? 0);

    /// <summary>The first position of a run that started at <paramref name="runStartedAt"/>.</summary>
    public static EscalationPosition First(EscalationPolicyBody policy, DateTimeOffset runStartedAt, TimeSpan? minute = null) =>
        new(0, 0, runStartedAt + Scaled(DelayOf(policy, 0), minute));

    /// <summary>The position after <paramref name="current"/>, or null when the run has used up its steps and repeats.</summary>
    public static EscalationPosition? After(EscalationPolicyBody policy, EscalationPosition current, TimeSpan? minute = null)
    {
        var steps = policy.Steps ?? [];
        var (cycle, step) = current.StepIndex + 1 < steps.Count ? (current.Cycle, current.StepIndex + 1) : (current.Cycle + 1, 0);
        if (cycle >= CyclesOf(policy)) return null;
        return new(cycle, step, current.DueAt + Scaled(DelayOf(policy, step), minute));
    }

    /// <summary>Every position of a run in order, from its first step to the last step of its last cycle.</summary>
    public static IReadOnlyList<EscalationPosition> Plan(EscalationPolicyBody policy, DateTimeOffset runStartedAt)
    {
        var plan = new List<EscalationPosition>();
        if (policy.Steps is not { Count: > 0 }) return plan;
        for (EscalationPosition? at = First(policy, runStartedAt); at is { } position; at = After(policy, position))
            plan.Add(position);
        return plan;
    }

    /// <summary>The positions of a run that are due at <paramref name="now"/> (due instant at or before it), in order.</summary>
    public static IReadOnlyList<EscalationPosition> DueBy(EscalationPolicyBody policy, DateTimeOffset runStartedAt, DateTimeOffset now) =>
        Plan(policy, runStartedAt).Where(p => p.DueAt <= now).ToList();

    /// <summary>
    /// When an alert acknowledged at <paramref name="acknowledgedAt"/> goes back to firing and the policy runs again
    /// from its first step, if it is not resolved before: <c>acknowledgedAt + ackTimeout</c>; null without an ack timeout.
    /// </summary>
    public static DateTimeOffset? ReTriggerAt(EscalationPolicyBody policy, DateTimeOffset acknowledgedAt, TimeSpan? minute = null) =>
        AckTimeoutOf(policy, minute) is { } timeout ? acknowledgedAt + timeout : null;

    /// <summary>The policy's ack timeout (in <paramref name="minute"/> units when given), or null for none.</summary>
    public static TimeSpan? AckTimeoutOf(EscalationPolicyBody policy, TimeSpan? minute = null) =>
        policy.AckTimeout is not null && Durations.TryParse(policy.AckTimeout, out var timeout) ? Scaled(timeout, minute) : null;

    /// <summary>A policy duration (whole minutes) in a host whose minute lasts <paramref name="minute"/>.</summary>
    public static TimeSpan Scaled(TimeSpan duration, TimeSpan? minute) =>
        minute is { } length && length != TimeSpan.FromMinutes(1) ? length * duration.TotalMinutes : duration;

    /// <summary>
    /// The instant the current run of an alert started, given when it fired and when each acknowledgement ended in a
    /// re-trigger by the ack timeout: the latest re-trigger at or before <paramref name="now"/>, else the firing instant.
    /// An acknowledgement whose re-trigger is still in the future means no step is due (the alert is acknowledged):
    /// null then.
    /// </summary>
    public static DateTimeOffset? RunStartedAt(EscalationPolicyBody policy, DateTimeOffset firedAt, IEnumerable<DateTimeOffset> acknowledgedAts, DateTimeOffset now)
    {
        var start = firedAt;
        foreach (var ackedAt in acknowledgedAts.Where(a => a >= firedAt && a <= now).Order())
        {
            if (ackedAt < start) continue; // acknowledged before the run it would end began: not possible, ignore
            if (ReTriggerAt(policy, ackedAt) is not { } retrigger || retrigger > now) return null;
            start = retrigger;
        }
        return start;
    }

    private static TimeSpan DelayOf(EscalationPolicyBody policy, int step) =>
        policy.Steps is { } steps && step < steps.Count && steps[step] is { } s ? EscalationPolicyValidator.DelayOf(s) : EscalationPolicyValidator.MinDelay;
}
