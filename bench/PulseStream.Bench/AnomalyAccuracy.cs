using System.Diagnostics;
using PulseStream.Anomalies;
using PulseStream.Metrics;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only anomaly</c>: how well anomaly rules find what was injected into generated seasonal traffic.
/// Each series is five weeks of 5-minute cells (requests, 5xx, a latency sketch of every request) with a daily and a
/// weekly cycle, a growth trend, hour-to-hour noise and Poisson sampling, at one of three sizes (8, 60 and 400
/// requests a minute at the daily peak). The first four weeks are history; in the fifth, anomalies are injected at
/// random times (spikes ×2.5–4 for 15–30 min, drops to 10–40 % for 20–40 min, one level shift ×1.6–2 or ×0.5–0.6 that
/// stays, error spikes of 4–10 points for 15–30 min, and a latency creep of 4–8 % an hour for 12 h). Every 5 minutes
/// a 10-minute window is judged against the baseline that <see cref="AnomalyModel.Build"/> makes from the hourly
/// cells before it (rebuilt every hour, as the timer does): request rate in both directions, error rate and p95
/// latency above. Recall: the share of injected anomalies with a flagged point while they last (a level shift or a
/// creep: within its first 6 hours or its 12). Precision: the share of alert episodes (consecutive flagged points)
/// that overlap an injected anomaly of their metric.
/// </summary>
public static class AnomalyAccuracy
{
    private static readonly TimeSpan Cell = TimeSpan.FromMinutes(5);
    private const int CellsPerHour = 12;
    private const double WindowMinutes = 10;

    private sealed record Injected(string Kind, string Metric, DateTimeOffset From, DateTimeOffset To, double Factor);

    private sealed class SeriesCell
    {
        public long Requests;
        public long Errors;
        public readonly LatencyHistogram Latency = new();
    }

    public static int Run(int seriesCount)
    {
        var clock = Stopwatch.StartNew();
        var sizes = new[] { 8.0, 60, 400 };
        var tallies = AnomalyModel.Sensitivities.ToDictionary(s => s, _ => new Tally());
        for (var i = 0; i < seriesCount; i++)
        {
            var random = new Random(1000 + i);
            var start = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero).AddDays(7 * i);
            var (cells, injected) = Generate(random, start, sizes[i % sizes.Length]);
            foreach (var sensitivity in AnomalyModel.Sensitivities) Judge(cells, injected, start, sensitivity, tallies[sensitivity]);
        }
        var rows = new List<string[]>();
        foreach (var (sensitivity, t) in tallies)
        {
            string Recall(string kind) => t.Injected.GetValueOrDefault(kind) == 0 ? "–"
                : $"{(double)t.Found.GetValueOrDefault(kind) / t.Injected[kind]:0.00} ({t.Found.GetValueOrDefault(kind)}/{t.Injected[kind]})";
            rows.Add([sensitivity, Recall("spike"), Recall("drop"), Recall("level shift"), Recall("error spike"), Recall("latency creep"),
                $"{(t.Episodes == 0 ? 1 : (double)t.TrueEpisodes / t.Episodes):0.00} ({t.TrueEpisodes}/{t.Episodes})"]);
        }
        Console.WriteLine();
        Console.WriteLine($"Anomaly rules on generated seasonal traffic: {seriesCount} series × 5 weeks of 5-minute cells, the fifth judged every 5 min over 10 min ({clock.Elapsed.TotalSeconds:0} s)");
        Console.WriteLine();
        Console.WriteLine("| sensitivity | recall: spikes | drops | level shifts | error spikes | latency creep | precision |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var row in rows) Console.WriteLine($"| {string.Join(" | ", row)} |");
        Console.WriteLine();
        Console.WriteLine("Goal at medium: recall ≥ 0.9 on spikes and drops, ≥ 0.7 on level shifts, precision ≥ 0.9.");
        return 0;
    }

    private sealed class Tally
    {
        public readonly Dictionary<string, int> Injected = [];
        public readonly Dictionary<string, int> Found = [];
        public int Episodes;
        public int TrueEpisodes;
    }

    private static (SeriesCell[] Cells, List<Injected> Injected) Generate(Random random, DateTimeOffset start, double peakPerMinute)
    {
        var count = 35 * 24 * CellsPerHour;
        var judgedFrom = start.AddDays(28);
        var injected = new List<Injected>();
        DateTimeOffset At(double hoursFromJudged) => judgedFrom.AddMinutes(Math.Round(hoursFromJudged * 12) * 5);
        // Events spread over the judged week, apart from each other: slots of 7 hours, in random order.
        var slots = Enumerable.Range(0, 22).OrderBy(_ => random.Next()).ToList();
        var next = 0;
        DateTimeOffset Slot() => At(slots[next++] * 7 + 0.5 + random.NextDouble() * 4);
        for (var k = 0; k < 4; k++)
        {
            var from = Slot();
            injected.Add(new("spike", "request_count", from, from.AddMinutes(15 + 5 * random.Next(4)), 2.5 + 1.5 * random.NextDouble()));
        }
        for (var k = 0; k < 4; k++)
        {
            var from = Slot();
            injected.Add(new("drop", "request_count", from, from.AddMinutes(20 + 5 * random.Next(5)), 0.1 + 0.3 * random.NextDouble()));
        }
        for (var k = 0; k < 4; k++)
        {
            var from = Slot();
            injected.Add(new("error spike", "error_rate", from, from.AddMinutes(15 + 5 * random.Next(4)), 0.04 + 0.06 * random.NextDouble()));
        }
        var creepFrom = Slot();
        injected.Add(new("latency creep", "latency_p95", creepFrom, creepFrom.AddHours(12), 0.04 + 0.04 * random.NextDouble()));
        // The level shift comes last, so what follows it is the new normal, not another event's background.
        var shiftFrom = At(6 * 24 + random.NextDouble() * 12);
        var up = random.Next(2) == 0;
        injected.Add(new("level shift", "request_count", shiftFrom, start.AddDays(35), up ? 1.6 + 0.4 * random.NextDouble() : 0.5 + 0.1 * random.NextDouble()));
        injected.RemoveAll(e => e.Kind != "level shift" && e.To > shiftFrom.AddHours(-1));

        var cells = new SeriesCell[count];
        var hourNoise = 1.0;
        for (var c = 0; c < count; c++)
        {
            var at = start + c * Cell;
            if (c % CellsPerHour == 0) hourNoise = Math.Exp(0.08 * Gaussian(random));
            var hour = at.UtcDateTime.Hour + at.UtcDateTime.Minute / 60.0;
            var daily = 0.15 + 0.85 * Math.Pow(0.5 - 0.5 * Math.Cos(2 * Math.PI * (hour - 3) / 24), 1.5);
            var weekly = at.UtcDateTime.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.55 : 1.0;
            var trend = 1 + 0.03 * (at - start).TotalDays / 7;
            var rate = peakPerMinute * daily * weekly * trend * hourNoise;
            var errorRate = 0.01 + 0.006 * daily;
            var latencyMedian = 90 * (1 + 0.35 * daily);
            foreach (var e in injected.Where(e => at >= e.From && at < e.To))
            {
                switch (e.Kind)
                {
                    case "spike" or "drop" or "level shift": rate *= e.Factor; break;
                    case "error spike": errorRate += e.Factor; break;
                    case "latency creep": latencyMedian *= Math.Pow(1 + e.Factor, (at - e.From).TotalHours); break;
                }
            }
            var cell = cells[c] = new SeriesCell { Requests = Poisson(random, rate * Cell.TotalMinutes) };
            for (var r = 0; r < cell.Requests; r++)
            {
                if (random.NextDouble() < errorRate) cell.Errors++;
                cell.Latency.Add(latencyMedian * Math.Exp(0.6 * Gaussian(random)));
            }
        }
        return (cells, injected);
    }

    private static void Judge(SeriesCell[] cells, List<Injected> injected, DateTimeOffset start, string sensitivity, Tally tally)
    {
        var judgedFrom = 28 * 24 * CellsPerHour;
        var hours = new List<(DateTimeOffset Hour, long Requests, long Errors, LatencyHistogram Latency)>();
        for (var h = 0; h < cells.Length / CellsPerHour; h++)
        {
            var latency = new LatencyHistogram();
            long requests = 0, errors = 0;
            for (var c = h * CellsPerHour; c < (h + 1) * CellsPerHour; c++) { requests += cells[c].Requests; errors += cells[c].Errors; latency.Merge(cells[c].Latency); }
            hours.Add((start.AddHours(h), requests, errors, latency));
        }
        var rules = new (string Metric, string Direction)[] { ("request_count", "both"), ("error_rate", "above"), ("latency_p95", "above") };
        foreach (var (metric, direction) in rules)
        {
            AnomalyBaseline? baseline = null;
            var flagged = new List<DateTimeOffset>();
            for (var c = judgedFrom; c < cells.Length; c++)
            {
                var now = start + (c + 1) * Cell;
                if (baseline is null || c % CellsPerHour == 0)
                {
                    var history = hours.Where(h => h.Hour >= now - AnomalyModel.History && h.Hour < now)
                        .Select(h => new HourSample(h.Hour, h.Requests, h.Requests == 0 ? null : ValueOf(metric, h.Requests, h.Errors, h.Latency)));
                    baseline = AnomalyModel.Build(metric, history, now);
                }
                var window = new SeriesCell();
                for (var w = c - 1; w <= c; w++) { window.Requests += cells[w].Requests; window.Errors += cells[w].Errors; window.Latency.Merge(cells[w].Latency); }
                if (metric != "request_count" && window.Requests < 10) continue;
                var observed = window.Requests == 0 && metric != "request_count" ? (double?)null : ValueOf(metric, window.Requests, window.Errors, window.Latency);
                if (baseline is null || observed is null) continue;
                var reading = AnomalyModel.Judge(baseline, now - TimeSpan.FromMinutes(WindowMinutes / 2), WindowMinutes, window.Requests, observed.Value, sensitivity, direction);
                if (reading is { Score: >= 1 }) flagged.Add(now);
            }
            var mine = injected.Where(e => e.Metric == metric).ToList();
            foreach (var e in mine)
            {
                var until = e.Kind switch { "level shift" => e.From.AddHours(6), _ => e.To.AddMinutes(WindowMinutes) };
                tally.Injected[e.Kind] = tally.Injected.GetValueOrDefault(e.Kind) + 1;
                if (flagged.Any(f => f > e.From && f <= until)) tally.Found[e.Kind] = tally.Found.GetValueOrDefault(e.Kind) + 1;
            }
            // Episodes: flagged points 5 minutes apart belong together.
            for (var i = 0; i < flagged.Count; i++)
            {
                var first = flagged[i];
                while (i + 1 < flagged.Count && flagged[i + 1] - flagged[i] <= Cell) i++;
                var last = flagged[i];
                tally.Episodes++;
                if (mine.Any(e => first <= (e.Kind == "level shift" ? e.To : e.To.AddMinutes(WindowMinutes)) && last > e.From)) tally.TrueEpisodes++;
            }
        }
    }

    private static double? ValueOf(string metric, long requests, long errors, LatencyHistogram latency) => metric switch
    {
        "request_count" => requests,
        "error_rate" => (double)errors / requests,
        _ => latency.Quantile(0.95),
    };

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static long Poisson(Random random, double mean)
    {
        if (mean > 40) return Math.Max(0, (long)Math.Round(mean + Math.Sqrt(mean) * Gaussian(random)));
        var limit = Math.Exp(-mean);
        long k = 0;
        for (var p = random.NextDouble(); p > limit; p *= random.NextDouble()) k++;
        return k;
    }
}
