namespace PulseStream.Retention;

/// <summary>
/// The bounds of one run: its time budget and the number of delete statements that may remove rows. Every
/// statement asks first; a statement that found nothing costs no batch, only time.
/// </summary>
internal sealed class RetentionRun(TimeProvider time, RetentionOptions options, RetentionRunReport report)
{
    private readonly long _started = time.GetTimestamp();

    public RetentionRunReport Report { get; } = report;
    public int BatchSize { get; } = options.BatchSize;
    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    /// <summary>Whether another statement may run; false once, and from then on, the budget or the batches are spent.</summary>
    public bool CanContinue(int statements = 1)
    {
        if (Report.StoppedEarly) return false;
        if (Elapsed < options.RunBudget && Report.Batches + statements <= options.MaxBatchesPerRun) return true;
        Report.StoppedEarly = true;
        return false;
    }

    /// <summary>
    /// Runs <paramref name="deleteBatch"/> (which removes at most the batch size it is given and says how many it
    /// removed) until a batch comes back short or the run is out of bounds; returns the rows removed.
    /// </summary>
    public async Task<long> DrainAsync(string table, Func<int, Task<long>> deleteBatch)
    {
        long total = 0;
        while (CanContinue())
        {
            var removed = await deleteBatch(BatchSize);
            Report.AddBatch(table, removed);
            total += removed;
            if (removed < BatchSize) break;
        }
        return total;
    }
}
