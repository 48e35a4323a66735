using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.Alerting.Escalation;

/// <summary>
/// One step of a policy: when the alert has gone <c>delay</c> unacknowledged since the step before (the first step:
/// since it fired), notify these channels and e-mail these members.
/// </summary>
public sealed record EscalationStep(string? Delay, IReadOnlyList<Guid>? ChannelIds, IReadOnlyList<Guid>? UserIds);

/// <summary>
/// An escalation policy as the API reads and writes it (CONTRACT.md, "Extensions"):
/// <c>{name, steps:[{delay, channelIds, userIds}], repeat, ackTimeout}</c>. <c>repeat</c> runs the whole policy again
/// that many times after its last step (0 by default); <c>ackTimeout</c>, when set, re-triggers an acknowledged alert
/// that is not resolved within it.
/// </summary>
public sealed record EscalationPolicyBody(string? Name, IReadOnlyList<EscalationStep>? Steps, int? Repeat, string? AckTimeout);

/// <summary>A stored policy of a tenant.</summary>
public sealed record EscalationPolicy(Guid Id, EscalationPolicyBody Body, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Every channel any step names, each once.</summary>
    public IReadOnlyList<Guid> ChannelIds => EscalationPolicyValidator.ChannelsOf(Body);

    /// <summary>Every member any step names, each once.</summary>
    public IReadOnlyList<Guid> UserIds => EscalationPolicyValidator.UsersOf(Body);
}

/// <summary>Field-level checks of a policy body against the contract and the bounds; the tenant's channels and members are checked by the store.</summary>
public static class EscalationPolicyValidator
{
    public const int MaxNameLength = 100;
    public const int MaxSteps = 10;
    public const int MaxTargetsPerStep = 20;
    public const int MaxRepeat = 10;
    public static readonly TimeSpan MinDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(24);
    public static readonly TimeSpan MinAckTimeout = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxAckTimeout = TimeSpan.FromDays(7);

    public static List<FieldError> Validate(EscalationPolicyBody? body)
    {
        var errors = new List<FieldError>();
        if (body is null) { errors.Add(new("$", "A policy object is required.")); return errors; }
        if (string.IsNullOrWhiteSpace(body.Name)) errors.Add(new("name", "Required."));
        else if (body.Name.Trim().Length > MaxNameLength) errors.Add(new("name", $"At most {MaxNameLength} characters."));
        if (body.Repeat is < 0 or > MaxRepeat) errors.Add(new("repeat", $"Must be from 0 to {MaxRepeat}."));
        if (body.AckTimeout is not null && !IsWholeMinutes(body.AckTimeout, MinAckTimeout, MaxAckTimeout))
            errors.Add(new("ackTimeout", "Must be a whole number of minutes from 1m to 7d, like 30m or 4h, or null for none."));

        if (body.Steps is not { Count: > 0 } steps) { errors.Add(new("steps", $"Required: one to {MaxSteps} steps.")); return errors; }
        if (steps.Count > MaxSteps) errors.Add(new("steps", $"At most {MaxSteps} steps."));
        for (var i = 0; i < Math.Min(steps.Count, MaxSteps); i++)
        {
            var step = steps[i];
            if (step is null) { errors.Add(new("steps", "A step object is required.", i)); continue; }
            if (!IsWholeMinutes(step.Delay, MinDelay, MaxDelay))
                errors.Add(new("steps.delay", "Must be a whole number of minutes from 1m to 24h, like 5m or 1h.", i));
            var channels = step.ChannelIds ?? [];
            var users = step.UserIds ?? [];
            if (channels.Count == 0 && users.Count == 0) errors.Add(new("steps", "A step notifies at least one channel or member.", i));
            if (channels.Count > MaxTargetsPerStep) errors.Add(new("steps.channelIds", $"At most {MaxTargetsPerStep} channels a step.", i));
            if (users.Count > MaxTargetsPerStep) errors.Add(new("steps.userIds", $"At most {MaxTargetsPerStep} members a step.", i));
            if (channels.Distinct().Count() != channels.Count) errors.Add(new("steps.channelIds", "A channel is listed twice.", i));
            if (users.Distinct().Count() != users.Count) errors.Add(new("steps.userIds", "A member is listed twice.", i));
        }
        return errors;
    }

    /// <summary>The delay of a valid step.</summary>
    public static TimeSpan DelayOf(EscalationStep step) => Durations.TryParse(step.Delay, out var delay) ? delay : MinDelay;

    internal static IReadOnlyList<Guid> ChannelsOf(EscalationPolicyBody body) =>
        (body.Steps ?? []).SelectMany(s => s?.ChannelIds ?? []).Distinct().ToList();

    internal static IReadOnlyList<Guid> UsersOf(EscalationPolicyBody body) =>
        (body.Steps ?? []).SelectMany(s => s?.UserIds ?? []).Distinct().ToList();

    // Whole minutes: the timer that drives escalations runs every few seconds, and a person reads "90s" as a typo.
    private static bool IsWholeMinutes(string? text, TimeSpan min, TimeSpan max) =>
        Durations.TryParse(text, out var value) && value >= min && value <= max && value.Ticks % TimeSpan.TicksPerMinute == 0;
}
