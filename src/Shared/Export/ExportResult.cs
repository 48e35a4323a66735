using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;

namespace PulseStream.Export;

/// <summary>
/// Writes a table to the response as a downloaded file while its rows are produced: CSV (a header row, then one
/// record per row, CRLF-terminated as RFC 4180 has it) or NDJSON (one JSON object per line, the JSON API's
/// names and shape). Nothing is held as one string; the body is flushed every <see cref="RowsPerFlush"/> rows so
/// a client sees it arrive. Parameters are validated before this result exists, so a bad request never gets here.
/// </summary>
public sealed class ExportResult<T>(ExportFormat format, string fileName, IReadOnlyList<ExportColumn<T>> columns, IEnumerable<T> rows) : IActionResult
{
    public const int RowsPerFlush = 2000;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        var ct = context.HttpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = format.ContentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        // A tenant's data: not for shared caches, and never sniffed into something a browser would run.
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        try
        {
            await using var writer = new StreamWriter(response.Body, Utf8, bufferSize: 16 * 1024, leaveOpen: true);
            var line = new StringBuilder();
            if (format == ExportFormat.Csv)
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    if (i > 0) line.Append(',');
                    CsvField.Append(line, columns[i].Name);
                }
                await writer.WriteAsync(line.Append("\r\n"), ct);
            }
            var written = 0;
            foreach (var row in rows)
            {
                line.Clear();
                if (format == ExportFormat.Csv)
                {
                    for (var i = 0; i < columns.Count; i++)
                    {
                        if (i > 0) line.Append(',');
                        CsvField.Append(line, columns[i].Cell(row));
                    }
                    line.Append("\r\n");
                }
                else
                {
                    line.Append(JsonSerializer.Serialize(row, Json.Options)).Append('\n');
                }
                await writer.WriteAsync(line, ct);
                if (++written % RowsPerFlush == 0) await writer.FlushAsync(ct);
            }
            await writer.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away mid-file: there is no one left to answer.
        }
    }
}
