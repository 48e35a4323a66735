using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;

namespace PulseStream.Export;

/// <summary>
/// <c>GET /api/v1/export?dataset=routes|consumers|timeseries&amp;window=&amp;format=csv|ndjson</c>: a whole dataset of
/// the read API as a file for spreadsheets and BI tools. The rows are the JSON endpoints' own, computed by the same
/// queries (<see cref="BreakdownQueries"/> with no page limit, <see cref="DashboardQueries.SeriesAsync"/>) under the
/// same parameters, validation and time budget; only the writing differs (<see cref="ExportResult{T}"/>). There is
/// no paging: a breakdown is bounded by the tenant's route or consumer cap, a series by its point cap.
/// </summary>
public sealed class MetricsExport(BreakdownQueries breakdowns, DashboardQueries dashboard)
{
    public static readonly IReadOnlyList<string> Datasets = ["routes", "consumers", "timeseries"];

    public Task<IActionResult> ExportAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var dataset = request.Query["dataset"].FirstOrDefault();
        if (dataset is null || !Datasets.Contains(dataset))
            return Fail("invalid-dataset", $"dataset must be one of {string.Join(", ", Datasets)}.");
        var formatName = request.Query["format"].FirstOrDefault() ?? ExportFormat.Csv.Name;
        if (ExportFormat.All.FirstOrDefault(f => f.Name == formatName) is not { } format)
            return Fail("invalid-format", $"format must be one of {string.Join(", ", ExportFormat.All.Select(f => f.Name))}.");
        // Paging parameters of the JSON endpoints would silently cut the file short: refused rather than ignored.
        foreach (var paging in new[] { "cursor", "limit" })
            if (request.Query.ContainsKey(paging))
                return Fail($"invalid-{paging}", $"{paging} is not a parameter of the export: it always has every row.");

        return dataset switch
        {
            "routes" => breakdowns.QueryAsync(caller, request, RollupSet.Routes, limit: null, ct, b =>
                new ExportResult<RouteReport>(format, FileName(dataset, b.Query.WindowText, format), ExportTables.Routes, b.Groups.Select(BreakdownQueries.ToRoute))),
            "consumers" => breakdowns.QueryAsync(caller, request, RollupSet.Consumers, limit: null, ct, b =>
                new ExportResult<ConsumerReport>(format, FileName(dataset, b.Query.WindowText, format), ExportTables.Consumers, b.Groups.Select(BreakdownQueries.ToConsumer))),
            _ => dashboard.SeriesAsync(caller, request, ct, series =>
                new ExportResult<SeriesPoint>(format, FileName(dataset, series.Window, format), ExportTables.Timeseries, series.Points)),
        };
    }

    /// <summary>The download's name; both parts are validated values, so nothing in it needs escaping.</summary>
    private static string FileName(string dataset, string window, ExportFormat format) => $"pulsestream-{dataset}-{window}.{format.Name}";

    private static Task<IActionResult> Fail(string type, string detail) => Task.FromResult<IActionResult>(ApiResults.BadRequest(type, detail));
}
