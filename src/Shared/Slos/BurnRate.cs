namespace PulseStream.Slos;

/// <summary>
/// One alert of the SRE workbook's multi-window, multi-burn-rate set: it holds when the SLO burns its budget at least
/// <see cref="Factor"/> times the sustainable rate over both <see cref="Long"/> and <see cref="Short"/> (the short
/// window makes it stop soon after the burning does). <see cref="BudgetShare"/> is the share of the whole window's
/// budget the long window spends at that rate, which is what the workbook keeps when the SLO window changes.
/// </summary>
public sealed record BurnWindows(TimeSpan Long, TimeSpan Short, double BudgetShare)
{
    /// <summary>The burn rate the pair alerts at for an SLO over <paramref name="sloWindow"/>: 14.4, 6 and 1 for 30 days.</summary>
    public double Factor(TimeSpan sloWindow) => BudgetShare * sloWindow.Ticks / Long.Ticks;
}

/// <summary>
/// Burn-rate alerting (docs/ALERTING.md, "Burn-rate rules"). A rule of condition type <c>burn_rate</c> names an SLO
/// and a level: <c>page</c> (2 % of the budget in 1 h, confirmed over 5 min; 5 % in 6 h, confirmed over 30 min) or
/// <c>ticket</c> (10 % in 3 days, confirmed over 6 h). Its value is the <see cref="Score"/>: for each pair the smaller
/// of its two windows' burn rates over the pair's factor, the largest over the pairs; it holds at 1 and above.
/// </summary>
public static class BurnRate
{
    public const string Type = "burn_rate";
    public const string Page = "page", Ticket = "ticket";
    public static readonly string[] Levels = [Page, Ticket];

    /// <summary>What a burn-rate rule reads as its metric, operator and threshold: its score against 1.</summary>
    public const string Metric = "burn_rate";
    public const string Operator = ">=";
    public const double Threshold = 1;

    private static readonly BurnWindows[] PagePairs =
    [
        new(TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), 0.02),
        new(TimeSpan.FromHours(6), TimeSpan.FromMinutes(30), 0.05),
    ];

    private static readonly BurnWindows[] TicketPairs = [new(TimeSpan.FromDays(3), TimeSpan.FromHours(6), 0.10)];

    public static IReadOnlyList<BurnWindows> PairsOf(string? level) => level == Ticket ? TicketPairs : PagePairs;

    /// <summary>
    /// The rule's window as the evaluator's cadence reads it (<see cref="Alerting.RuleEvaluationPolicy.RuleInterval"/>):
    /// the shortest window it reads, so a page is evaluated every 5 s and a ticket every minute.
    /// </summary>
    public static string WindowOf(string? level) => level == Ticket ? "6h" : "5m";

    /// <summary>Every window a level reads, longest first.</summary>
    public static IReadOnlyList<TimeSpan> WindowsOf(string? level) =>
        PairsOf(level).SelectMany(p => new[] { p.Long, p.Short }).Distinct().OrderDescending().ToList();

    /// <summary>The bad share over the budgeted share: 1 spends exactly the budget over the SLO's window; 0 without requests.</summary>
    public static double Of(SloCounts counts, double objective) =>
        counts.Requests == 0 ? 0 : (double)counts.Bad / counts.Requests / (1 - objective);

    /// <summary>
    /// The rule's value from the counts over each of <see cref="WindowsOf"/>: at least 1 when some pair holds. Rounded
    /// to 9 decimals, so that a burn exactly at a factor holds although 1 − 0.999 and 0.05 × 120 are not exact in binary.
    /// </summary>
    public static double Score(string? level, double objective, TimeSpan sloWindow, Func<TimeSpan, SloCounts> countsOver) =>
        Math.Round(PairsOf(level).Max(p => Math.Min(Of(countsOver(p.Long), objective), Of(countsOver(p.Short), objective)) / p.Factor(sloWindow)), 9);
}
