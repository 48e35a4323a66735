using CsCheck;
using PulseStream.Events;
using PulseStream.Metrics;

namespace PulseStream.UnitTests;

public class RollupTierTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_window_ends_with_the_current_minute_and_is_exactly_as_long_as_asked()
    {
        var (from, to) = RollupRange.Ending(Noon.AddSeconds(30.5), TimeSpan.FromMinutes(5));
        Assert.Equal(Noon.AddMinutes(1), to);
        Assert.Equal(Noon.AddMinutes(-4), from);
    }

    [Fact]
    public void A_thirty_day_range_takes_whole_days_then_hours_then_minutes_at_its_edges()
    {
        var (from, to) = RollupRange.Ending(Noon.AddMinutes(17), TimeSpan.FromDays(30));
        var spans = RollupRange.Plan(from, to, RollupSet.Routes.Tiers, TimeSpan.MaxValue);
        Assert.Equal(
            [
                (RollupTier.Minute, from, from.AddMinutes(42)),
                (RollupTier.Hour, from.AddMinutes(42), new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)),
                (RollupTier.Day, new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero)),
                (RollupTier.Hour, new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), Noon),
                (RollupTier.Minute, Noon, to),
            ],
            spans.Select(s => (s.Tier, s.From, s.To)).ToArray());
    }

    [Fact]
    public void A_step_smaller_than_a_tier_keeps_that_tier_out()
    {
        var (from, to) = RollupRange.Ending(Noon, TimeSpan.FromHours(6));
        var spans = RollupRange.Plan(from, to, RollupSet.Routes.Tiers, TimeSpan.FromMinutes(5));
        Assert.All(spans, s => Assert.Equal(RollupTier.Minute, s.Tier));
    }

    [Fact]
    public void Any_plan_covers_its_range_exactly_once_with_aligned_buckets()
    {
        var minutes = Gen.Long[0, 60L * 24 * 400];
        Gen.Select(minutes, Gen.Long[0, 60L * 24 * 40], Gen.OneOf(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.MaxValue))
            .Sample((start, length, step) =>
            {
                var from = Noon.AddMinutes(-start);
                var to = from.AddMinutes(length);
                var spans = RollupRange.Plan(from, to, RollupSet.Routes.Tiers, step);
                var cursor = from;
                foreach (var span in spans.OrderBy(s => s.From))
                {
                    if (span.From != cursor || span.To <= span.From) return false;
                    if (span.Tier.Width > step || span.From.UtcTicks % span.Tier.Width.Ticks != 0 || span.To.UtcTicks % span.Tier.Width.Ticks != 0) return false;
                    cursor = span.To;
                }
                return cursor == to || (from == to && spans.Count == 0);
            });
    }

    [Fact]
    public void An_open_ended_day_reads_todays_day_row_and_looks_past_the_end_for_rows_stamped_ahead()
    {
        var (from, to) = RollupRange.Ending(Noon.AddMinutes(17), TimeSpan.FromHours(24));
        var spans = RollupRange.PlanOpenEnded(from, to, RollupSet.Routes.Tiers, TimeSpan.MaxValue);
        var today = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [
                (RollupTier.Minute, from, from.AddMinutes(42), false),
                (RollupTier.Hour, from.AddMinutes(42), today, false),
                (RollupTier.Day, today, today.AddDays(1), false),
                (RollupTier.Minute, to, Noon.AddHours(1), true),
                (RollupTier.Hour, Noon.AddHours(1), today.AddDays(1), true),
            ],
            spans.Select(s => (s.Tier, s.From, s.To, s.BeyondEnd)).ToArray());
    }

    [Fact]
    public void An_open_ended_plan_needs_a_coarse_bucket_that_starts_inside_the_range()
    {
        var (from, to) = RollupRange.Ending(Noon.AddMinutes(17), TimeSpan.FromMinutes(15));
        Assert.Equal(RollupRange.Plan(from, to, RollupSet.Routes.Tiers, TimeSpan.MaxValue),
            RollupRange.PlanOpenEnded(from, to, RollupSet.Routes.Tiers, TimeSpan.MaxValue));
    }

    [Fact]
    public void Any_open_ended_plan_covers_its_range_once_and_exactly_the_part_past_its_end_once_more()
    {
        Gen.Select(Gen.Long[0, 60L * 24 * 400], Gen.Long[0, 60L * 24 * 40], Gen.OneOf(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.MaxValue))
            .Sample((start, length, step) =>
            {
                var from = Noon.AddMinutes(-start);
                var to = from.AddMinutes(length);
                var spans = RollupRange.PlanOpenEnded(from, to, RollupSet.Routes.Tiers, step);
                if (spans.Any(s => s.To <= s.From || s.Tier.Width > step || s.From.UtcTicks % s.Tier.Width.Ticks != 0 || s.To.UtcTicks % s.Tier.Width.Ticks != 0)) return false;
                var within = spans.Where(s => !s.BeyondEnd).OrderBy(s => s.From).ToList();
                var cursor = from;
                foreach (var span in within)
                {
                    if (span.From != cursor) return false;
                    cursor = span.To;
                }
                if (cursor < to && !(from == to && within.Count == 0)) return false;
                var end = cursor;
                cursor = to;
                foreach (var span in spans.Where(s => s.BeyondEnd).OrderBy(s => s.From))
                {
                    if (span.From != cursor) return false;
                    cursor = span.To;
                }
                // What is read past the end lies within one bucket, so within the last step's point.
                var last = within.LastOrDefault();
                return cursor == end && (end == to || (last.From < to && last.To == end && (step == TimeSpan.MaxValue || Durations.Floor(last.From, step) == Durations.Floor(to.AddTicks(-1), step))));
            });
    }

    [Fact]
    public void Every_tier_of_a_set_counts_the_same_events_and_latencies()
    {
        var random = new Random(3);
        var events = Enumerable.Range(0, 5000).Select(i => new ApiEvent(null, Noon.AddSeconds(-random.Next(0, 3 * 86400)), "GET", "/", $"/r{i % 7}",
            random.Next(0, 10) == 0 ? 503 : 200, random.NextDouble() * 900, 10, 20, i % 3 == 0 ? null : $"c{i % 11}", "production", null)).ToList();
        var cells = RollupWriter.Aggregate(events);
        foreach (var set in RollupSet.All)
        {
            var expected = set == RollupSet.Consumers ? events.Count(e => e.ConsumerId is not null) : events.Count;
            foreach (var tier in set.Tiers)
            {
                var all = new RollupCell();
                foreach (var cell in cells[(set, tier)].Values) all.Merge(cell);
                Assert.Equal(expected, all.Requests);
                Assert.Equal(set == RollupSet.Consumers ? events.Count(e => e.ConsumerId is not null && e.StatusCode == 503) : events.Count(e => e.StatusCode == 503), all.Errors5xx);
                Assert.All(cells[(set, tier)].Keys, k => Assert.Equal(k.Bucket, tier.Floor(k.Bucket)));
            }
        }
    }

    [Fact]
    public void A_stored_sketch_round_trips_any_histogram()
    {
        Gen.Double[0, LatencyHistogram.MaxTrackable].Array[0, 300].Sample(values =>
        {
            var histogram = new LatencyHistogram();
            foreach (var v in values) histogram.Add(v);
            var copy = LatencyHistogram.FromBytes(histogram.ToBytes());
            return copy.Count == histogram.Count
                && new[] { 0, 0.5, 0.95, 0.99, 1 }.All(q => copy.Quantile(q) == histogram.Quantile(q));
        });
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 1 })]
    [InlineData(new byte[] { 1, 0, 1, 0xFF, 0x7F, 1 })]
    [InlineData(new byte[] { 1, 0, 0, 9 })]
    public void Bytes_that_are_not_a_sketch_are_refused(byte[] bytes) =>
        Assert.Throws<FormatException>(() => LatencyHistogram.FromBytes(bytes));

    [Fact]
    public void A_sketch_of_every_bucket_is_bounded_in_size()
    {
        var histogram = new LatencyHistogram();
        for (var v = LatencyHistogram.MinTrackable; v <= LatencyHistogram.MaxTrackable; v *= 1.005) histogram.Add(v, long.MaxValue / 4);
        Assert.InRange(histogram.ToBytes().Length, 1, 1101 * 11 + 20);
    }
}
