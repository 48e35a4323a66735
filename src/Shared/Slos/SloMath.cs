namespace PulseStream.Slos;

/// <summary>Requests and the bad ones among them (5xx for availability, slower than the threshold for latency).</summary>
public readonly record struct SloCounts(long Requests, long Bad)
{
    public SloCounts Plus(SloCounts other) => new(Requests + other.Requests, Bad + other.Bad);
}

/// <summary>
/// The error budget over the window: <c>total</c> is how many requests may be bad, <c>(1 − objective) × requests</c>;
/// <c>consumed</c> how many were; <c>remaining</c> the difference (negative once overspent); <c>remainingRatio</c>
/// the remaining share of the total (null without requests).
/// </summary>
public sealed record ErrorBudget(double Total, long Consumed, double Remaining, double? RemainingRatio);

/// <summary>
/// An SLO's state at one moment: attainment over its rolling window, the budget, the burn rate over the last hour
/// (the bad share divided by the budgeted share: 1 spends exactly the budget over the window) and, at that rate, when
/// the remaining budget runs out (null when it is not being spent or there is no traffic; <c>exhausted</c> once it
/// is spent).
/// </summary>
public sealed record SloStatus(DateTimeOffset From, DateTimeOffset To, long Requests, long Bad, double? Attainment, ErrorBudget ErrorBudget,
    double? BurnRate, DateTimeOffset? ExhaustsAt, bool Exhausted, bool Breaching);

/// <summary>One step of an SLO's series: its requests and bad ones, and the budget left at the step's end.</summary>
public sealed record SloPoint(DateTimeOffset Ts, long Requests, long Bad, double? BudgetRemainingRatio);

/// <summary>The arithmetic of SLOs and error budgets (docs/ALERTING.md, "SLOs"), separate from where the counts come from.</summary>
public static class SloMath
{
    public static SloStatus Status(double objective, TimeSpan window, DateTimeOffset from, DateTimeOffset to, SloCounts whole, SloCounts lastHour, DateTimeOffset now)
    {
        var allowed = 1 - objective;
        double? attainment = whole.Requests == 0 ? null : 1 - (double)whole.Bad / whole.Requests;
        var total = allowed * whole.Requests;
        var remaining = total - whole.Bad;
        // The objective is below 1, so any traffic gives a budget above 0.
        double? ratio = whole.Requests == 0 ? null : remaining / total;
        double? burn = lastHour.Requests == 0 ? null : (double)lastHour.Bad / lastHour.Requests / allowed;
        var exhausted = ratio is <= 0;
        DateTimeOffset? exhaustsAt = null;
        if (!exhausted && ratio is { } r && burn is > 0 and { } b)
        {
            // At burn rate b the whole budget lasts window / b; what is left lasts r of that. Capped so that the
            // projection of a trickle of errors stays a date (and within DateTimeOffset).
            var left = TimeSpan.FromTicks((long)Math.Min(r * window.Ticks / b, TimeSpan.FromDays(3650).Ticks));
            exhaustsAt = now + left;
        }
        var budget = new ErrorBudget(total, whole.Bad, remaining, ratio);
        return new SloStatus(from, to, whole.Requests, whole.Bad, attainment, budget, burn, exhaustsAt, exhausted,
            attainment is { } a && a < objective);
    }

    /// <summary>
    /// The window's steps with the budget left at the end of each: the budget is the whole window's (so the last
    /// point's ratio is the status's), spent by the bad requests up to that step.
    /// </summary>
    public static List<SloPoint> Series(double objective, IReadOnlyList<(DateTimeOffset Ts, SloCounts Counts)> steps)
    {
        var total = steps.Aggregate(new SloCounts(), (sum, s) => sum.Plus(s.Counts));
        var budget = (1 - objective) * total.Requests;
        var points = new List<SloPoint>(steps.Count);
        long bad = 0;
        foreach (var (ts, counts) in steps)
        {
            bad += counts.Bad;
            points.Add(new SloPoint(ts, counts.Requests, counts.Bad, budget > 0 ? (budget - bad) / budget : null));
        }
        return points;
    }
}
