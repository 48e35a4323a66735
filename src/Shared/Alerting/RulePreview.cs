using System.Text.Json.Serialization;
using PulseStream.Metrics;

namespace PulseStream.Alerting;

/// <summary>
/// One evaluation of a previewed rule: the window ending at <paramref name="Ts"/>, its value (null: no requests); for an
/// anomaly rule, whose value is its score, also the band and the metric observed (<see cref="Anomalies.AnomalyPreview"/>).
/// </summary>
public sealed record PreviewPoint(DateTimeOffset Ts, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PreviewBand? Band = null);

/// <summary>An anomaly rule's band at one evaluation, in the metric's units over the rule's window, and what was observed; <c>status</c> <c>warming-up</c> has no band.</summary>
public sealed record PreviewBand(string Status, double? Expected, double? Lower, double? Upper, double? Observed);

/// <summary>
/// A span in which the rule would have had a <c>pending</c> or <c>firing</c> alert for the group. <paramref name="To"/>
/// is the evaluation at which it would have stopped; for one still so at the range's end (<paramref name="Ongoing"/>),
/// the range's end.
/// </summary>
public sealed record PreviewInterval(string State, DateTimeOffset From, DateTimeOffset To, bool Ongoing);

/// <summary>A group's value at one evaluation time, with its requests and the last minute it had any (null: none read).</summary>
public readonly record struct PreviewReading(DateTimeOffset Ts, double? Value, long Requests, DateTimeOffset? LastTraffic);

public sealed record PreviewGroup(string Group, IReadOnlyList<PreviewPoint> Points, IReadOnlyList<PreviewInterval> Intervals);

/// <summary>The preview's answer (<c>POST /api/v1/alert-rules/preview</c>).</summary>
public sealed record RulePreviewResult(string Metric, string Operator, double Threshold, string Window, string Step, DateTimeOffset From, DateTimeOffset To,
    IReadOnlyList<PreviewGroup> Groups);

/// <summary>
/// What a rule would have done over past traffic, computed from one group's minute cells: at each evaluation time
/// <c>ts</c> (every step, the last one the window the rule evaluates now), the metric over the rule's window
/// <c>[ts − window, ts)</c> exactly as evaluation computes it (<see cref="MetricValue"/>, <c>minRequests</c>, the
/// operator, the recovery threshold and no data, <see cref="GroupReadings"/>), then the evaluator's own state machine
/// (<see cref="AlertStateMachine"/>) run over those evaluations, so <c>for</c>, <c>keepFiringFor</c> and <c>noDataFor</c> hold as they do live (to the step: live evaluation runs every few seconds). Windows slide: counts and
/// sums by adding the minute that enters and subtracting the one that leaves, latency sketches the same way on dense
/// bucket counts, so a 24-hour window over 7 days costs the minutes read, not minutes × window.
/// </summary>
public static class RulePreview
{
    /// <summary>
    /// How far before the first evaluation time the preview reads a group's minutes: the window, or longer when the
    /// rule looks further back (whether a group is known, <see cref="AlertRule.KnownFor"/>; whether it has been silent
    /// for <see cref="AlertRule.NoDataFor"/>).
    /// </summary>
    public static TimeSpan Lookback(AlertRule rule)
    {
        var lookback = rule.NoDataFor;
        return GroupReadings.SilenceCanAlert(rule) && rule.KnownFor > lookback ? rule.KnownFor : lookback;
    }

    /// <param name="minutes">The group's cells per minute from <paramref name="readFrom"/> (missing minutes: no traffic).</param>
    /// <param name="times">The evaluation times, ascending, each at least <paramref name="readFrom"/> + the window.</param>
    public static PreviewGroup Evaluate(string group, AlertRule rule, DateTimeOffset readFrom, IReadOnlyDictionary<DateTimeOffset, RollupCell> minutes,
        IReadOnlyList<DateTimeOffset> times) => Replay(group, rule, Readings(rule, readFrom, minutes, times), times);

    /// <summary>The rule's metric over its window at each evaluation time, the window sliding one minute at a time.</summary>
    internal static IEnumerable<PreviewReading> Readings(AlertRule rule, DateTimeOffset readFrom, IReadOnlyDictionary<DateTimeOffset, RollupCell> minutes,
        IReadOnlyList<DateTimeOffset> times)
    {
        var condition = rule.Body.Condition;
        var window = new SlidingWindow(MetricValue.NeedsSketch(condition.Metric));
        DateTimeOffset? lastTraffic = null;
        var enteredUpTo = readFrom;
        var leftUpTo = readFrom;
        foreach (var ts in times)
        {
            for (; enteredUpTo < ts; enteredUpTo = enteredUpTo.AddMinutes(1))
                if (minutes.TryGetValue(enteredUpTo, out var cell))
                {
                    window.Add(cell, +1);
                    if (cell.Requests > 0) lastTraffic = enteredUpTo;
                }
            for (; leftUpTo < ts - rule.Window; leftUpTo = leftUpTo.AddMinutes(1))
                if (minutes.TryGetValue(leftUpTo, out var cell)) window.Add(cell, -1);
            var current = window.Cell();
            yield return new PreviewReading(ts, current.Requests == 0 ? null : MetricValue.Of(condition.Metric, current), current.Requests, lastTraffic);
        }
    }

    /// <summary>
    /// The evaluator's decisions (<see cref="GroupReadings"/>, <see cref="AlertFlapping"/>) over one group's readings,
    /// in order: the points, and the intervals in which the group would have had a pending, firing or flapping alert.
    /// </summary>
    public static PreviewGroup Replay(string group, AlertRule rule, IEnumerable<PreviewReading> readings, IReadOnlyList<DateTimeOffset> times)
    {
        var condition = rule.Body.Condition;
        var points = new List<PreviewPoint>(times.Count);
        var intervals = new List<PreviewInterval>();
        var timing = rule.Timing;
        // An anomaly rule judges a silent group itself (a request count with a baseline reads as 0, Anomalies.AnomalyPreview).
        var silenceCanAlert = GroupReadings.SilenceCanAlert(rule) || condition.IsAnomaly;
        OpenAlert? open = null;
        var flaps = FlapHistory.Empty;
        // The interval of the open alert's state, and its flapping interval, while there is one.
        var stateAt = -1;
        var flappingAt = -1;
        foreach (var (ts, value, requests, lastTraffic) in readings)
        {
            points.Add(new PreviewPoint(ts, value));
            // As evaluation decides: a group without requests in the window is decided on only while it is known (an
            // open alert, or recent traffic for a rule that silence can make fire; AlertEvaluator, RuleGroupSelection).
            if (requests == 0 && open is null && !(silenceCanAlert && lastTraffic >= ts - rule.KnownFor)) continue;
            var silent = lastTraffic is not { } last || last < ts - rule.NoDataFor;
            var reading = GroupReadings.Of(condition, value, requests, silent);
            var step = AlertFlapping.Next(open, flaps, reading, ts, timing, rule.Flap);
            flaps = step.History;
            switch (step.Transition)
            {
                case AlertTransition.StartPending:
                    open = new OpenAlert(Guid.Empty, AlertState.Pending, ts);
                    stateAt = Open(intervals, "pending", ts);
                    break;
                case AlertTransition.StartFiring:
                    open = new OpenAlert(Guid.Empty, AlertState.Firing, ts);
                    stateAt = Open(intervals, "firing", ts);
                    break;
                case AlertTransition.Fire:
                    open = open! with { State = AlertState.Firing };
                    Close(intervals, stateAt, ts);
                    stateAt = Open(intervals, "firing", ts);
                    break;
                case AlertTransition.StartClearing:
                    open = open! with { ClearedAt = ts };
                    break;
                case AlertTransition.StopClearing:
                    open = open! with { ClearedAt = null };
                    break;
                case AlertTransition.Resolve or AlertTransition.DropPending:
                    open = null;
                    Close(intervals, stateAt, ts);
                    break;
            }
            // Flapping overlays the firing interval it keeps open (AlertFlapping): an interval of its own.
            if (step.Mark == FlapMark.Start)
            {
                open = open! with { FlappingSince = ts, ClearedAt = null };
                flappingAt = Open(intervals, "flapping", ts);
            }
            else if (step.Mark == FlapMark.Stop)
            {
                if (open is not null) open = open with { FlappingSince = null };
                Close(intervals, flappingAt, ts);
            }
        }
        for (var i = 0; i < intervals.Count; i++)
            if (intervals[i].Ongoing) intervals[i] = intervals[i] with { To = times[^1] };
        return new PreviewGroup(group, points, intervals);
    }

    private static int Open(List<PreviewInterval> intervals, string state, DateTimeOffset at)
    {
        intervals.Add(new PreviewInterval(state, at, at, true));
        return intervals.Count - 1;
    }

    private static void Close(List<PreviewInterval> intervals, int index, DateTimeOffset at)
    {
        if (index >= 0 && intervals[index].Ongoing) intervals[index] = intervals[index] with { To = at, Ongoing = false };
    }

    /// <summary>
    /// The sums of the minutes inside a window. Sketch buckets are kept dense over the sketch's whole range (about
    /// 1,100 counts), because a <see cref="LatencyHistogram"/> only adds.
    /// </summary>
    private sealed class SlidingWindow(bool sketches)
    {
        private static readonly int Offset = LatencyHistogram.MinIndex;
        private readonly long[] _buckets = sketches ? new long[LatencyHistogram.MaxIndex - LatencyHistogram.MinIndex + 1] : [];
        private long _requests, _zeros, _sketched, _errors4xx, _errors5xx;
        private double _latencySum;

        public void Add(RollupCell cell, int sign)
        {
            _requests += sign * cell.Requests;
            _errors4xx += sign * cell.Errors4xx;
            _errors5xx += sign * cell.Errors5xx;
            _latencySum += sign * cell.LatencySum;
            if (!sketches) return;
            _zeros += sign * cell.Histogram.ZeroCount;
            _sketched += sign * cell.Histogram.Count;
            foreach (var (index, count) in cell.Histogram.Buckets()) _buckets[index - Offset] += sign * count;
        }

        /// <summary>The window as one cell, as a merge of its minutes would be (the figures the metrics read).</summary>
        public RollupCell Cell()
        {
            var cell = new RollupCell { Requests = _requests, LatencySum = _requests == 0 ? 0 : _latencySum };
            cell.StatusClasses[3] = _errors4xx;
            cell.StatusClasses[4] = _errors5xx;
            if (!sketches || _sketched == 0) return cell;
            cell.Histogram.AddZeros(_zeros);
            cell.Histogram.AddToCount(_sketched);
            for (var i = 0; i < _buckets.Length; i++)
                if (_buckets[i] != 0) cell.Histogram.AddToBucket(i + Offset, _buckets[i]);
            return cell;
        }
    }
}
