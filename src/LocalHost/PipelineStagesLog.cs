using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using PulseStream.Hosting;

namespace PulseStream.LocalHost;

/// <summary>
/// <c>Pulse:PipelineStagesLog=true</c> (the stored-end-to-end benchmark sets it): listens in process to the
/// <see cref="PipelineStages"/> meter and, every <see cref="Interval"/> while they change, logs the totals since the
/// host started as one line, <c>Pipeline stages: stage=seconds/items; …</c>. The benchmark reads the line at two
/// quiet moments (before and after its measured load) and prints the difference. Nothing is exposed over HTTP.
/// </summary>
public sealed class PipelineStagesLog(ILogger<PipelineStagesLog> logger) : BackgroundService
{
    public const string Setting = "Pulse:PipelineStagesLog";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (double Seconds, long Items)> _totals = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == PipelineStages.MeterName) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            _totals.AddOrUpdate(Stage(tags), _ => (value, 0), (_, t) => (t.Seconds + value, t.Items)));
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            _totals.AddOrUpdate(Stage(tags), _ => (0, value), (_, t) => (t.Seconds, t.Items + value)));
        listener.Start();

        var last = "";
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var text = Format(_totals);
                if (text == last) continue;
                logger.LogInformation("Pipeline stages: {Stages}", text);
                last = text;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The totals as one line, stages in name order. Read through <see cref="ConcurrentDictionary{TKey, TValue}.ToArray"/>,
    /// a snapshot: LINQ over the dictionary itself copies it by its count, which a measurement arriving meanwhile
    /// outgrows (an ArgumentException that stopped the host).
    /// </summary>
    public static string Format(ConcurrentDictionary<string, (double Seconds, long Items)> totals)
    {
        var line = new StringBuilder();
        foreach (var (stage, (seconds, items)) in totals.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal))
            line.Append(CultureInfo.InvariantCulture, $"{stage}={seconds:F6}s/{items}; ");
        return line.ToString();
    }

    private static string Stage(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags) if (tag.Key == "stage") return tag.Value as string ?? "";
        return "";
    }
}
