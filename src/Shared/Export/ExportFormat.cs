namespace PulseStream.Export;

/// <summary>A file format of the export: its query value, media type and file extension.</summary>
public sealed record ExportFormat(string Name, string ContentType)
{
    public static readonly ExportFormat Csv = new("csv", "text/csv; charset=utf-8");
    public static readonly ExportFormat Ndjson = new("ndjson", "application/x-ndjson");
    public static readonly IReadOnlyList<ExportFormat> All = [Csv, Ndjson];
}
