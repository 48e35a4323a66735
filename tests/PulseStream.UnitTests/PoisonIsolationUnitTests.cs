using PulseStream.Events;
using PulseStream.Metrics;

namespace PulseStream.UnitTests;

/// <summary>The pure parts of poison isolation: bisection down to the items that fail alone, and sums that saturate.</summary>
public class PoisonIsolationUnitTests
{
    /// <summary>
    /// An all-or-nothing store: an attempt fails when <paramref name="fails"/> says so for its items, and then
    /// applies none of them (as a rolled-back savepoint); otherwise it applies all.
    /// </summary>
    private sealed class AtomicStore(Func<IReadOnlyList<int>, bool> fails)
    {
        public List<int> Applied { get; } = [];
        public int Attempts { get; private set; }

        public Task<Exception?> AttemptAsync(IReadOnlyList<int> items)
        {
            Attempts++;
            if (fails(items)) return Task.FromResult<Exception?>(new FormatException($"group of {items.Count} failed"));
            Applied.AddRange(items);
            return Task.FromResult<Exception?>(null);
        }
    }

    [Fact]
    public async Task A_group_that_succeeds_is_tried_once()
    {
        var store = new AtomicStore(_ => false);
        var failed = await Bisection.IsolateAsync(Enumerable.Range(0, 100).ToList(), store.AttemptAsync);
        Assert.Empty(failed);
        Assert.Equal(1, store.Attempts);
        Assert.Equal(Enumerable.Range(0, 100), store.Applied);
    }

    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(100, new[] { 37 })]
    [InlineData(100, new[] { 0, 99 })]
    [InlineData(77, new[] { 3, 4, 5, 60 })]
    [InlineData(10, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    public async Task Only_the_items_that_fail_alone_are_returned_and_every_other_item_is_applied_exactly_once(int count, int[] poison)
    {
        var store = new AtomicStore(items => items.Any(poison.Contains));
        var failed = await Bisection.IsolateAsync(Enumerable.Range(0, count).ToList(), store.AttemptAsync);

        Assert.Equal(poison, failed.Select(f => f.Item).Order());
        Assert.All(failed, f => Assert.Equal("group of 1 failed", f.Error.Message));
        Assert.Equal(Enumerable.Range(0, count).Except(poison), store.Applied.Order());
        // One poison among n costs about 2·log2(n) attempts, not n.
        if (poison.Length == 1) Assert.InRange(store.Attempts, 1, 2 * (int)Math.Ceiling(Math.Log2(count)) + 1);
    }

    [Fact]
    public async Task Items_that_fail_only_together_are_all_applied_separately()
    {
        // Two values whose sum overflows: each alone fits.
        var store = new AtomicStore(items => items.Contains(4) && items.Contains(5));
        var failed = await Bisection.IsolateAsync(Enumerable.Range(0, 10).ToList(), store.AttemptAsync);
        Assert.Empty(failed);
        Assert.Equal(Enumerable.Range(0, 10), store.Applied.Order());
    }

    [Fact]
    public async Task A_group_known_to_fail_is_split_without_being_tried_whole_again()
    {
        var store = new AtomicStore(items => items.Contains(2));
        var failed = await Bisection.IsolateAsync([2], store.AttemptAsync, new FormatException("already failed"));
        Assert.Equal("already failed", Assert.Single(failed).Error.Message);
        Assert.Equal(0, store.Attempts);
    }

    [Fact]
    public async Task A_failure_the_attempt_throws_is_not_isolated_but_passed_on()
    {
        // Transient failures are thrown by the attempt (the writer rethrows them): the whole unit fails for a retry.
        Task<Exception?> Throwing(IReadOnlyList<int> items) => items.Count == 1 ? throw new TimeoutException() : Task.FromResult<Exception?>(new FormatException());
        await Assert.ThrowsAsync<TimeoutException>(() => Bisection.IsolateAsync([1, 2], Throwing));
    }

    [Theory]
    [InlineData("22021", true)] // U+0000 in text
    [InlineData("22P05", true)] // U+0000 in jsonb
    [InlineData("22003", true)] // bigint out of range
    [InlineData("23505", true)]
    [InlineData("54000", true)]
    [InlineData("40P01", false)] // deadlock: transient
    [InlineData("57P01", false)] // admin shutdown: transient
    [InlineData("42501", false)] // a missing grant is the database's problem, not the events'
    [InlineData("42883", false)]
    [InlineData("XX000", false)]
    public void Postgres_errors_are_isolated_only_when_the_values_cause_them(string sqlState, bool causedByData) =>
        Assert.Equal(causedByData, StoreFailures.IsCausedByData(new Npgsql.PostgresException("m", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void Failures_of_the_values_in_code_are_isolated_and_cancellation_and_timeouts_are_not()
    {
        Assert.True(StoreFailures.IsCausedByData(new OverflowException()));
        Assert.True(StoreFailures.IsCausedByData(new FormatException()));
        Assert.False(StoreFailures.IsCausedByData(new OperationCanceledException()));
        Assert.False(StoreFailures.IsCausedByData(new TimeoutException()));
        Assert.False(StoreFailures.IsCausedByData(new Npgsql.NpgsqlException("broken", new IOException())));
        Assert.Equal("bad \uFFFD value", StoreFailures.Describe(new FormatException("bad \0 value")));
    }

    [Theory]
    [InlineData(long.MaxValue, 1, long.MaxValue)]
    [InlineData((1L << 62) + 5, (1L << 62) + 5, long.MaxValue)]
    [InlineData(long.MinValue, -1, long.MinValue)]
    [InlineData(-5, 3, -2)]
    [InlineData(long.MaxValue, long.MinValue, -1)]
    public void Sums_saturate_at_the_ends_of_long_instead_of_wrapping(long a, long b, long expected) =>
        Assert.Equal(expected, Saturating.Add(a, b));

    [Fact]
    public void A_rollup_cell_keeps_byte_sums_at_the_ceiling_and_counts_exactly()
    {
        var at = DateTimeOffset.UtcNow;
        var big = new ApiEvent(null, at, "GET", "/x", "/x", 200, 5, (1L << 62) + 5, long.MaxValue, null, "production", null);
        var cells = RollupWriter.Aggregate([big, big, big with { ResponseBytes = 7 }]);
        foreach (var tier in RollupSet.Routes.Tiers)
        {
            var cell = Assert.Single(cells[(RollupSet.Routes, tier)]).Value;
            Assert.Equal(3, cell.Requests);
            Assert.Equal(long.MaxValue, cell.RequestBytes);
            Assert.Equal(long.MaxValue, cell.ResponseBytes);
            Assert.Equal(3, cell.Histogram.Count);
        }
    }

    [Fact]
    public void A_sketch_whose_stored_counts_pass_64_bits_reads_as_the_ceiling()
    {
        // Version 1, no zeros, two buckets (200 and 201), the first count 2^64 - 1 and the second 2^63 - 1.
        byte[] stored = [1, 0, 2, 0x90, 0x03, .. Varint(ulong.MaxValue), 0, .. Varint(long.MaxValue)];
        var histogram = LatencyHistogram.FromBytes(stored);
        Assert.Equal(long.MaxValue, histogram.Count);
        Assert.NotNull(histogram.Quantile(0.99));
        SketchCodec.MergeInto(histogram, stored);
        Assert.Equal(long.MaxValue, histogram.Count);
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
