using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PulseStream.Hosting;

/// <summary>
/// Where the ingest-to-storage pipeline spends its time, per stage (the edge's parsing and validation, the event
/// log's append and read, the consumer's decode, dedup, store and rollups, …), as two counters of the
/// <c>PulseStream.Pipeline</c> meter tagged by stage: wall-clock seconds spent in it and the items (events or
/// messages) it handled. Without a listener a record costs a timestamp and nothing else; the local host logs the
/// totals (<c>LocalHost/PipelineStagesLog</c>), and in Azure any OpenTelemetry metrics exporter can read them.
/// Stages that run concurrently (requests, partitions) add up to more than the elapsed time.
/// </summary>
public static class PipelineStages
{
    public const string MeterName = "PulseStream.Pipeline";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<double> Seconds = Meter.CreateCounter<double>("pulse.pipeline.stage.time", "s", "Wall-clock time spent in a pipeline stage.");
    private static readonly Counter<long> Items = Meter.CreateCounter<long>("pulse.pipeline.stage.items", "{item}", "Events or messages a pipeline stage handled.");

    /// <summary>Now, to pass later to <see cref="Record"/>.</summary>
    public static long Start() => Stopwatch.GetTimestamp();

    /// <summary>Records the time since <paramref name="start"/> under <paramref name="stage"/>; returns now, the start of the next stage.</summary>
    public static long Record(string stage, long start, long items)
    {
        var now = Stopwatch.GetTimestamp();
        if (Seconds.Enabled)
        {
            var tag = new KeyValuePair<string, object?>("stage", stage);
            Seconds.Add(Stopwatch.GetElapsedTime(start, now).TotalSeconds, tag);
            Items.Add(items, tag);
        }
        return now;
    }
}
