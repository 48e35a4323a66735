using System.ComponentModel.DataAnnotations;

namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// How the outbox tries to deliver (app settings <c>Deliveries__*</c>). The defaults give ten attempts over about a
/// day: the first at once, then 15 s, 45 s, 2¼ min, 6¾ min, 20 min, 1 h, 3 h, 10 h and 10 h (each ±20 % jitter),
/// so a receiver that is down for an afternoon still gets its notifications. Tests compress the schedule.
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Deliveries";

    /// <summary>Attempts before a delivery is dead (the first one included).</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The wait after the first failed attempt; each later wait is <see cref="RetryFactor"/> times the one before.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1.0, 10.0)]
    public double RetryFactor { get; set; } = 3;

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(10);

    /// <summary>Each wait is multiplied by a random factor in [1 - Jitter, 1 + Jitter], so retries of many deliveries spread out.</summary>
    [Range(0.0, 0.5)]
    public double Jitter { get; set; } = 0.2;

    /// <summary>
    /// How long a claim holds without a heartbeat. The dispatcher renews it every third of this while it sends, so
    /// a slow receiver never loses its claim; a crashed dispatcher's claims come back after it.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most one attempt may take (connect, send, read the answer).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Deliveries sent at the same time by one dispatcher.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 8;

    /// <summary>
    /// The most claims one tenant holds at once, across dispatchers: a tenant flooding a slow or dead receiver leaves
    /// the rest of <see cref="Concurrency"/> to the other tenants.
    /// </summary>
    [Range(1, 64)]
    public int MaxInFlightPerTenant { get; set; } = 4;

    /// <summary>
    /// While deliveries are being sent, how often a round claims again for its free places, so that work that became
    /// due meanwhile does not wait for a slow receiver to answer.
    /// </summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one dispatch round keeps claiming while work is due (the timer fires again after it).</summary>
    public TimeSpan RoundBudget { get; set; } = TimeSpan.FromSeconds(50);
}
