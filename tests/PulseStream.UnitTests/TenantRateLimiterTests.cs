using PulseStream.Tenancy;

namespace PulseStream.UnitTests;

public class TenantRateLimiterTests
{
    private static readonly TenantLimits Limits = TenantLimits.Default with { EventsPerSecond = 100, Burst = 300 };

    [Fact]
    public void A_tenant_may_burst_then_refills_at_its_sustained_rate_and_is_told_honestly_how_long_to_wait()
    {
        var clock = new FixedClock(DateTimeOffset.UnixEpoch);
        var limiter = new TenantRateLimiter(clock);
        var tenant = Guid.NewGuid();
        Assert.True(limiter.TryAcquire(tenant, 300, Limits).Allowed);
        var (allowed, retryAfter) = limiter.TryAcquire(tenant, 250, Limits);
        Assert.False(allowed);
        Assert.Equal(TimeSpan.FromSeconds(3), retryAfter); // 250 tokens at 100/s
        clock.Now += TimeSpan.FromSeconds(2.5);
        Assert.True(limiter.TryAcquire(tenant, 250, Limits).Allowed);
        Assert.False(limiter.TryAcquire(tenant, 1, Limits).Allowed);
    }

    [Fact]
    public void One_tenant_over_its_limit_does_not_slow_another()
    {
        var limiter = new TenantRateLimiter(new FixedClock(DateTimeOffset.UnixEpoch));
        var (noisy, quiet) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.True(limiter.TryAcquire(noisy, 300, Limits).Allowed);
        Assert.False(limiter.TryAcquire(noisy, 1, Limits).Allowed);
        Assert.True(limiter.TryAcquire(quiet, 300, Limits).Allowed);
    }
}
