namespace PulseStream.Bench;

/// <summary>How every benchmark part prints its results: a title line, then a Markdown table ready for docs/PERFORMANCE.md.</summary>
public static class ResultsTable
{
    public static void Print(string title, IEnumerable<string[]> rows, string lastColumn = "goal")
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine();
        Console.WriteLine($"| benchmark | result | detail | {lastColumn} |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var row in rows) Console.WriteLine($"| {string.Join(" | ", row)} |");
    }
}
