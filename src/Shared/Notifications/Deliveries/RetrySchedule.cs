namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// When a failed delivery is tried again: exponential from <see cref="DeliveryOptions.FirstRetryDelay"/> by
/// <see cref="DeliveryOptions.RetryFactor"/>, capped at <see cref="DeliveryOptions.MaxRetryDelay"/>, each wait
/// jittered by ±<see cref="DeliveryOptions.Jitter"/> so that a receiver coming back is not hit by every retry at once.
/// </summary>
public static class RetrySchedule
{
    /// <summary>The wait before the next attempt after <paramref name="failedAttempts"/> (from 1) failed; <paramref name="random"/> in [0, 1).</summary>
    public static TimeSpan DelayAfter(int failedAttempts, DeliveryOptions options, double random)
    {
        var exponent = Math.Max(0, failedAttempts - 1);
        var seconds = Math.Min(options.FirstRetryDelay.TotalSeconds * Math.Pow(options.RetryFactor, exponent), options.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(seconds * (1 - options.Jitter + 2 * options.Jitter * random));
    }

    /// <summary>The waits of a whole schedule without jitter: from the first attempt to the last.</summary>
    public static IReadOnlyList<TimeSpan> Waits(DeliveryOptions options) =>
        Enumerable.Range(1, options.MaxAttempts - 1).Select(n => DelayAfter(n, options, 0.5)).ToArray();
}
