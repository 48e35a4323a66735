using PulseStream.Tenancy;

namespace PulseStream.UnitTests;

public class EdgeCacheTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>A Table storage stand-in whose lookups the test completes (or fails) when it chooses.</summary>
    private sealed class ControlledSource
    {
        private TaskCompletionSource<string> _next = NewLookup();
        public int Loads;

        public Task<string> LoadAsync(string key, CancellationToken ct)
        {
            Interlocked.Increment(ref Loads);
            return _next.Task;
        }

        public void Answer(string value)
        {
            var answered = _next;
            _next = NewLookup();
            answered.SetResult(value);
        }

        public void Fail()
        {
            var failed = _next;
            _next = NewLookup();
            failed.SetException(new InvalidOperationException("table storage is down"));
        }

        private static TaskCompletionSource<string> NewLookup() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>An empty cache over a source the test answers, on a clock the test moves.</summary>
    private static (ManualClock Clock, ControlledSource Source, EdgeCache<string, string> Cache) Empty()
    {
        var clock = new ManualClock();
        var source = new ControlledSource();
        return (clock, source, new EdgeCache<string, string>(source.LoadAsync, Ttl, clock));
    }

    /// <summary>A cache that has loaded <paramref name="value"/> for "key" at the clock's current time.</summary>
    private static async Task<(ManualClock Clock, ControlledSource Source, EdgeCache<string, string> Cache)> CachedAsync(string value)
    {
        var (clock, source, cache) = Empty();
        var first = cache.GetAsync("key", default);
        source.Answer(value);
        await first;
        return (clock, source, cache);
    }

    [Fact]
    public async Task Requests_that_miss_together_share_one_lookup()
    {
        var (_, source, cache) = Empty();

        var requests = Enumerable.Range(0, 20).Select(_ => cache.GetAsync("key", default)).ToList();
        Assert.Equal(1, source.Loads);
        Assert.All(requests, r => Assert.False(r.IsCompleted));

        source.Answer("tenant-a");
        Assert.All(await Task.WhenAll(requests), value => Assert.Equal("tenant-a", value));
        Assert.Equal("tenant-a", await cache.GetAsync("key", default));
        Assert.Equal(1, source.Loads);
    }

    [Fact]
    public async Task Past_half_its_lifetime_a_value_is_served_at_once_while_one_background_lookup_refreshes_it()
    {
        var (clock, source, cache) = await CachedAsync("v1");

        clock.Now += Ttl * 0.6;
        var served = Enumerable.Range(0, 5).Select(_ => cache.GetAsync("key", default)).ToList();
        Assert.All(served, s => Assert.True(s.IsCompletedSuccessfully));
        Assert.All(served, s => Assert.Equal("v1", s.Result));
        Assert.Equal(2, source.Loads); // one refresh, not one per request

        source.Answer("v2");
        await WaitUntilAsync(async () => await cache.GetAsync("key", default) == "v2");
        Assert.Equal(2, source.Loads);
    }

    [Fact]
    public async Task A_value_is_never_served_past_its_lifetime()
    {
        var (clock, source, cache) = await CachedAsync("valid");

        clock.Now += Ttl;
        var afterLifetime = cache.GetAsync("key", default);
        Assert.False(afterLifetime.IsCompleted); // waits for Table storage rather than serve the old value
        source.Answer("revoked");
        Assert.Equal("revoked", await afterLifetime);
    }

    [Fact]
    public async Task A_failed_lookup_is_not_cached_and_the_next_request_looks_up_again()
    {
        var (_, source, cache) = Empty();

        var failing = cache.GetAsync("key", default);
        source.Fail();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);

        var retry = cache.GetAsync("key", default);
        source.Answer("tenant-a");
        Assert.Equal("tenant-a", await retry);
        Assert.Equal(2, source.Loads);
    }

    [Fact]
    public async Task A_failed_background_refresh_keeps_the_value_until_its_lifetime_ends()
    {
        var (clock, source, cache) = await CachedAsync("v1");

        clock.Now += Ttl * 0.6;
        Assert.Equal("v1", await cache.GetAsync("key", default));
        source.Fail();
        await WaitUntilAsync(() => Task.FromResult(cache.GetAsync("key", default) is { IsCompletedSuccessfully: true, Result: "v1" } && source.Loads == 3));

        clock.Now += Ttl * 0.4;
        var expired = cache.GetAsync("key", default);
        Assert.False(expired.IsCompleted);
        source.Fail();
        await Assert.ThrowsAsync<InvalidOperationException>(() => expired);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_lookup_the_others_wait_for()
    {
        var (_, source, cache) = Empty();
        using var impatient = new CancellationTokenSource();

        var gaveUp = cache.GetAsync("key", impatient.Token);
        var patient = cache.GetAsync("key", default);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);

        source.Answer("tenant-a");
        Assert.Equal("tenant-a", await patient);
        Assert.Equal(1, source.Loads);
    }

    [Fact]
    public async Task Invalidating_a_key_makes_the_next_request_look_it_up()
    {
        var (_, source, cache) = await CachedAsync("valid");

        cache.Invalidate("key");
        var next = cache.GetAsync("key", default);
        source.Answer("revoked");
        Assert.Equal("revoked", await next);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(10);
        }
    }
}
