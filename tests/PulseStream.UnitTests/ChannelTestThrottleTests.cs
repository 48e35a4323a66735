using Microsoft.Extensions.Time.Testing;
using PulseStream.Notifications.Channels;

namespace PulseStream.UnitTests;

/// <summary>The test-send limits: a sliding minute per channel and per tenant, with an honest wait.</summary>
public class ChannelTestThrottleTests
{
    [Fact]
    public void A_channel_gets_five_tests_a_minute_and_is_told_when_the_oldest_one_leaves_the_window()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var throttle = new ChannelTestThrottle(clock);
        var (tenant, channel) = (Guid.NewGuid(), Guid.NewGuid());
        for (var i = 0; i < ChannelTestThrottle.PerChannelPerMinute; i++)
        {
            Assert.True(throttle.TryAcquire(tenant, channel).Allowed);
            clock.Advance(TimeSpan.FromSeconds(10));
        }
        var refused = throttle.TryAcquire(tenant, channel);
        Assert.False(refused.Allowed);
        Assert.Equal(ChannelTestThrottle.Scope.Channel, refused.LimitedBy);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter); // the first test was 50 s ago
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.TryAcquire(tenant, channel).Allowed);
        Assert.False(throttle.TryAcquire(tenant, channel).Allowed);
    }

    [Fact]
    public void A_tenant_gets_thirty_tests_a_minute_across_its_channels_and_a_refusal_costs_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var throttle = new ChannelTestThrottle(clock);
        var tenant = Guid.NewGuid();
        for (var i = 0; i < ChannelTestThrottle.PerTenantPerMinute; i++) Assert.True(throttle.TryAcquire(tenant, Guid.NewGuid()).Allowed);
        var refused = throttle.TryAcquire(tenant, Guid.NewGuid());
        Assert.False(refused.Allowed);
        Assert.Equal(ChannelTestThrottle.Scope.Tenant, refused.LimitedBy);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
        // Another tenant is not slowed; refused attempts did not count, so the window frees after exactly a minute.
        Assert.True(throttle.TryAcquire(Guid.NewGuid(), Guid.NewGuid()).Allowed);
        for (var i = 0; i < 10; i++) Assert.False(throttle.TryAcquire(tenant, Guid.NewGuid()).Allowed);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.TryAcquire(tenant, Guid.NewGuid()).Allowed);
    }
}
