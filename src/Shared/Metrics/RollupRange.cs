namespace PulseStream.Metrics;

/// <summary>A span of one tier's buckets: every bucket starting in [From, To).</summary>
/// <param name="BeyondEnd">A span after the range's end that an open-ended plan reads only to see that it is empty (<see cref="RollupRange.PlanOpenEnded"/>).</param>
public readonly record struct TierSpan(RollupTier Tier, DateTimeOffset From, DateTimeOffset To, bool BeyondEnd = false);

/// <summary>
/// Time ranges of the read API. A window of length W ending now covers the whole minutes
/// <c>[end − W, end)</c> where <c>end</c> is the end of the current minute: exactly W, never widened to a step,
/// the current minute included (so the newest events count at once). Every answer states its <c>from</c> and <c>to</c>.
/// <see cref="Plan"/> then covers a range with the coarsest buckets that answer it exactly: whole days from the day
/// tier, the whole hours around them from the hour tier, the minutes at the edges from the minute tier.
/// </summary>
public static class RollupRange
{
    /// <summary>The window of length <paramref name="window"/> ending with the minute that holds <paramref name="now"/>.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Ending(DateTimeOffset now, TimeSpan window)
    {
        var to = Durations.FloorToMinute(now).AddMinutes(1);
        return (to - window, to);
    }

    /// <summary>
    /// Covers [from, to) with spans of <paramref name="tiers"/> (any order), using no tier wider than
    /// <paramref name="maxWidth"/> (a series' step: each bucket then lies within one point). <paramref name="from"/>
    /// and <paramref name="to"/> must be multiples of the finest tier's width, as windows and steps are.
    /// </summary>
    public static List<TierSpan> Plan(DateTimeOffset from, DateTimeOffset to, IEnumerable<RollupTier> tiers, TimeSpan maxWidth)
    {
        var usable = tiers.Where(t => t.Width <= maxWidth).OrderByDescending(t => t.Width).ToArray();
        if (usable.Length == 0) throw new ArgumentException("No tier is fine enough for the step.", nameof(maxWidth));
        var finest = usable[^1].Width;
        if (from.UtcTicks % finest.Ticks != 0 || to.UtcTicks % finest.Ticks != 0)
            throw new ArgumentException("The range is not aligned to the finest tier.", nameof(from));
        var spans = new List<TierSpan>();
        Cover(from, to, 0);
        return spans;

        void Cover(DateTimeOffset start, DateTimeOffset end, int level)
        {
            if (start >= end) return;
            var tier = usable[level];
            if (level == usable.Length - 1)
            {
                spans.Add(new TierSpan(tier, start, end));
                return;
            }
            var inner = Ceiling(start, tier.Width);
            var outer = Durations.Floor(end, tier.Width);
            if (inner >= outer)
            {
                Cover(start, end, level + 1);
                return;
            }
            Cover(start, inner, level + 1);
            spans.Add(new TierSpan(tier, inner, outer));
            Cover(outer, end, level + 1);
        }
    }

    /// <summary>
    /// Like <see cref="Plan"/>, but the range's last part may be one bucket of a coarser tier that runs past
    /// <paramref name="to"/>: <c>[B, B + width)</c> with <c>from ≤ B &lt; to</c>, the coarsest such. A window ends now, so
    /// what lies past its end is normally empty (only events stamped up to a few minutes ahead can be there), and
    /// then that one bucket holds exactly the window's last part: a 24-hour window reads today's day row instead of
    /// its hours and minutes. The plan therefore also lists spans with <see cref="TierSpan.BeyondEnd"/> set that cover
    /// <c>[to, B + width)</c> exactly: a group with rows there must be read again with <see cref="Plan"/>.
    /// Without such a bucket (the range's end is aligned, or no coarser bucket starts inside it) this is <see cref="Plan"/>.
    /// </summary>
    public static List<TierSpan> PlanOpenEnded(DateTimeOffset from, DateTimeOffset to, IEnumerable<RollupTier> tiers, TimeSpan maxWidth)
    {
        var usable = tiers.Where(t => t.Width <= maxWidth).OrderByDescending(t => t.Width).ToArray();
        foreach (var tier in usable)
        {
            if (to.UtcTicks % tier.Width.Ticks == 0) break; // aligned here, so at every finer tier too: nothing to gain
            var bucket = tier.Floor(to);
            if (bucket < from) continue;
            var finer = usable.Where(t => t.Width < tier.Width).ToArray();
            var spans = Plan(from, bucket, usable, maxWidth);
            spans.Add(new TierSpan(tier, bucket, bucket + tier.Width));
            spans.AddRange(Plan(to, bucket + tier.Width, finer, maxWidth).Select(s => s with { BeyondEnd = true }));
            return spans;
        }
        return Plan(from, to, usable, maxWidth);
    }

    private static DateTimeOffset Ceiling(DateTimeOffset t, TimeSpan width)
    {
        var floor = Durations.Floor(t, width);
        return floor == t ? t : floor + width;
    }
}
