using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PulseStream.Http;

/// <summary>
/// Reads a JSON request body with a size limit enforced while reading (a declared or actual body over the limit
/// is refused before parsing), decompresses <c>Content-Encoding: gzip</c> with a limit on the decompressed size
/// enforced while inflating (a gzip bomb is cut off after at most that many bytes), and parses with bounded depth.
/// </summary>
public static class JsonBodyReader
{
    public sealed record Outcome(JsonDocument? Document, IActionResult? Failure);

    public static async Task<Outcome> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct, long? maxDecompressedBytes = null)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return new(null, ApiResults.UnsupportedMediaType("Content-Encoding may be gzip or identity."));
        if (gzip && maxDecompressedBytes is null)
            return new(null, ApiResults.UnsupportedMediaType("This route does not take compressed bodies."));
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return new(null, ApiResults.UnsupportedMediaType("Send the body as application/json."));
        if (request.ContentLength > maxBytes)
            return new(null, ApiResults.TooLarge($"The body may be at most {maxBytes} bytes."));

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return new(null, ApiResults.TooLarge($"The body may be at most {maxBytes} bytes."));
            buffer.Write(chunk, 0, read);
        }

        var body = buffer;
        if (gzip)
        {
            var (inflated, failure) = await InflateAsync(buffer, maxDecompressedBytes!.Value, ct);
            if (failure is not null) return new(null, failure);
            body = inflated!;
        }

        // JSON text is UTF-8 (RFC 8259); the parser defers string decoding, so invalid bytes are refused here.
        if (!System.Text.Unicode.Utf8.IsValid(body.GetBuffer().AsSpan(0, (int)body.Length)))
            return new(null, ApiResults.BadRequest("malformed-json", "The body is not valid UTF-8."));
        try
        {
            var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), new JsonDocumentOptions { MaxDepth = 16 });
            return new(document, null);
        }
        catch (JsonException e)
        {
            return new(null, ApiResults.BadRequest("malformed-json", $"The body is not valid JSON: {e.Message}"));
        }
    }

    private static async Task<(MemoryStream? Body, IActionResult? Failure)> InflateAsync(MemoryStream compressed, long maxBytes, CancellationToken ct)
    {
        compressed.Position = 0;
        var output = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            await using var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
            int read;
            while ((read = await gzip.ReadAsync(chunk, ct)) > 0)
            {
                if (output.Length + read > maxBytes)
                    return (null, ApiResults.TooLarge($"The decompressed body may be at most {maxBytes} bytes."));
                output.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            return (null, ApiResults.BadRequest("malformed-gzip", "The body is not valid gzip."));
        }
        return (output, null);
    }

    /// <summary>Reads a small JSON body into a request type; a failure is a problem result.</summary>
    public static async Task<(T? Value, IActionResult? Failure)> ReadAsAsync<T>(HttpRequest request, CancellationToken ct, long maxBytes = 64 * 1024)
        where T : class
    {
        var outcome = await ReadAsync(request, maxBytes, ct);
        if (outcome.Failure is not null) return (null, outcome.Failure);
        using var document = outcome.Document!;
        try
        {
            var value = document.Deserialize<T>(Json.Options);
            return value is null ? (null, ApiResults.BadRequest("malformed-json", "The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ApiResults.BadRequest("malformed-json", $"The body does not match the expected shape: {e.Message}"));
        }
    }
}
