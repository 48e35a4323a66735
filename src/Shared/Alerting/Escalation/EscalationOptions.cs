using System.ComponentModel.DataAnnotations;

namespace PulseStream.Alerting.Escalation;

/// <summary>How the escalation engine runs (app settings <c>Escalation__*</c>).</summary>
public sealed class EscalationOptions
{
    public const string Section = "Escalation";

    /// <summary>
    /// How long one minute of a policy lasts in this host: a real minute. Test-only: the integration tests set it to
    /// seconds to compress a policy's steps and ack timeout (policies are still validated in whole minutes, 1m and up).
    /// </summary>
    public TimeSpan MinuteLength { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a claimed step is held; a host killed while running it leaves it due again after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most steps one round claims (the timer runs every second).</summary>
    [Range(1, 1000)]
    public int MaxPerRound { get; set; } = 100;

    /// <summary>
    /// The most steps of one tenant one round claims (those it holds under a running claim count): a tenant with
    /// thousands of escalating alerts drains them over several rounds and never delays another tenant's step past one.
    /// </summary>
    [Range(1, 1000)]
    public int MaxPerTenantPerRound { get; set; } = 20;

    /// <summary>How often a step that waits for a muted alert looks again (a silence may be expired early).</summary>
    public TimeSpan MutedRecheck { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the settings can run: positive lengths.</summary>
    public bool IsValid => MinuteLength > TimeSpan.Zero && Lease > TimeSpan.Zero && MutedRecheck > TimeSpan.Zero;
}
