using System.Collections.Concurrent;
using PulseStream.LocalHost;

namespace PulseStream.UnitTests;

/// <summary>The stage line is written while measurements keep arriving on other threads (a race once stopped the host).</summary>
public sealed class PipelineStagesLogFormatTests
{
    [Fact]
    public async Task Formatting_while_stages_are_added_never_throws_and_lists_them_in_name_order()
    {
        var totals = new ConcurrentDictionary<string, (double Seconds, long Items)>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            // New stages only, so the count keeps growing under the reader (shrinking would not trip it).
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                totals[$"stage-{i:D7}"] = (i, i);
                if (i == 300_000) return;
            }
        });
        try
        {
            var until = DateTime.UtcNow.AddSeconds(2);
            while (DateTime.UtcNow < until && !writer.IsCompleted) PipelineStagesLog.Format(totals);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
        totals.Clear();
        totals["b"] = (1.5, 2);
        totals["a"] = (0.25, 1);
        Assert.Equal("a=0.250000s/1; b=1.500000s/2; ", PipelineStagesLog.Format(totals));
    }
}
