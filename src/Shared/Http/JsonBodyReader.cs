using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PulseStream.Http;

/// <summary>
/// Reads a JSON request body within the limits of <see cref="RequestBodyReader"/> and parses it with bounded depth.
/// Every route that takes JSON reads it here, so every one takes the same content types (<see cref="MediaTypes.IsJson"/>).
/// </summary>
public static class JsonBodyReader
{
    public sealed record Outcome(JsonDocument? Document, IActionResult? Failure);

    public static async Task<Outcome> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct, long? maxDecompressedBytes = null, int maxDepth = 16)
    {
        if (!MediaTypes.IsJson(request.ContentType))
            return new(null, ApiResults.UnsupportedMediaType("Send the body as application/json (UTF-8)."));
        var read = await RequestBodyReader.ReadAsync(request, maxBytes, maxDecompressedBytes, ct);
        return read.Failure is not null ? new(null, read.Failure) : Parse(read.Body, maxDepth);
    }

    /// <summary>Parses UTF-8 JSON text with bounded depth; malformed text is a 400 problem.</summary>
    public static Outcome Parse(ReadOnlyMemory<byte> body, int maxDepth)
    {
        // JSON text is UTF-8 (RFC 8259); the parser defers string decoding, so invalid bytes are refused here.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
            return new(null, ApiResults.BadRequest("malformed-json", "The body is not valid UTF-8."));
        try
        {
            return new(JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxDepth }), null);
        }
        catch (JsonException e)
        {
            return new(null, ApiResults.BadRequest("malformed-json", $"The body is not valid JSON: {e.Message}"));
        }
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
