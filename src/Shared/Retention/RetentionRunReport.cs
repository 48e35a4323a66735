namespace PulseStream.Retention;

/// <summary>What one <c>EnforceRetention</c> run removed, and whether it stopped at its bounds before the end.</summary>
public sealed class RetentionRunReport
{
    private readonly Dictionary<string, long> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _droppedPartitions = [];

    /// <summary>Rows removed per table (only tables something was removed from).</summary>
    public IReadOnlyDictionary<string, long> RowsRemoved => _rows;

    /// <summary>Whole partitions dropped, by name.</summary>
    public IReadOnlyList<string> DroppedPartitions => _droppedPartitions;

    /// <summary>Delete statements that removed rows; never more than <see cref="RetentionOptions.MaxBatchesPerRun"/>.</summary>
    public int Batches { get; internal set; }

    /// <summary>The largest number of rows one statement removed; never more than <see cref="RetentionOptions.BatchSize"/>.</summary>
    public long LargestBatch { get; private set; }

    /// <summary>The run stopped at its time budget or batch limit; the next run goes on.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>Enforcement is switched off (<c>Retention__Enabled=false</c>).</summary>
    public bool Disabled { get; internal set; }

    public long TotalRows => _rows.Values.Sum();

    public long RowsOf(string table) => _rows.GetValueOrDefault(table);

    internal void AddBatch(string table, long rows)
    {
        if (rows <= 0) return;
        _rows[table] = _rows.GetValueOrDefault(table) + rows;
        Batches++;
        LargestBatch = Math.Max(LargestBatch, rows);
    }

    internal void AddDropped(string partition) => _droppedPartitions.Add(partition);
}
