using System.IO.Compression;
using Xunit.Abstractions;

namespace PulseStream.BuildTests;

/// <summary>
/// The dashboard's size budget (issue: the whole dashboard ≤ 150 KB gzipped): every file a browser loads to show it
/// (the page, the script, the styles; not the source map, which only developer tools fetch), as built into wwwroot by
/// <c>npm run build</c>, each compressed as the host may serve it.
/// </summary>
public sealed class DashboardBudgetTests(ITestOutputHelper output)
{
    public const int BudgetBytes = 150 * 1000;

    private static string Wwwroot => Path.Combine(BuildMetadata.RepoRoot, "src", "Functions.Realtime", "wwwroot");

    [Fact]
    public void The_whole_dashboard_is_at_most_150_KB_gzipped()
    {
        var files = Directory.GetFiles(Wwwroot).Where(f => !f.EndsWith(".map", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "app.js");
        Assert.Contains(files, f => Path.GetFileName(f) == "index.html");
        long total = 0;
        foreach (var file in files)
        {
            var raw = File.ReadAllBytes(file);
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(raw);
            output.WriteLine($"{Path.GetFileName(file)}: {raw.Length:N0} bytes, {compressed.Length:N0} gzipped");
            total += compressed.Length;
        }
        output.WriteLine($"total gzipped: {total:N0} bytes of a {BudgetBytes:N0}-byte budget");
        Assert.InRange(total, 1, BudgetBytes);
    }
}
