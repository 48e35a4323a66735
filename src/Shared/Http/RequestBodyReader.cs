using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PulseStream.Http;

/// <summary>
/// Reads a request body with a size limit enforced while reading (a declared or actual body over the limit is refused
/// before anything parses it) and decompresses <c>Content-Encoding: gzip</c> with a limit on the decompressed size
/// enforced while inflating, so a gzip bomb is cut off after at most that many bytes and memory stays bounded.
/// </summary>
public static class RequestBodyReader
{
    public sealed record Outcome(ReadOnlyMemory<byte> Body, IActionResult? Failure);

    /// <param name="maxDecompressedBytes">The limit for gzip bodies after inflating; <c>null</c> refuses compressed bodies.</param>
    public static async Task<Outcome> ReadAsync(HttpRequest request, long maxBytes, long? maxDecompressedBytes, CancellationToken ct)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return new(default, ApiResults.UnsupportedMediaType("Content-Encoding may be gzip or identity."));
        if (gzip && maxDecompressedBytes is null)
            return new(default, ApiResults.UnsupportedMediaType("This route does not take compressed bodies."));
        if (request.ContentLength > maxBytes)
            return new(default, ApiResults.TooLarge($"The body may be at most {maxBytes} bytes."));

        // Sized from the declared length when there is one, so a typical body is read into one buffer without regrowth.
        var buffer = new MemoryStream(request.ContentLength is > 0 and var declared ? (int)declared : 16 * 1024);
        if (await CopyLimitedAsync(request.Body, buffer, maxBytes, 16 * 1024, ct) is false)
            return new(default, ApiResults.TooLarge($"The body may be at most {maxBytes} bytes."));
        if (!gzip) return new(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);

        buffer.Position = 0;
        var inflated = new MemoryStream();
        try
        {
            await using var inflater = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true);
            if (await CopyLimitedAsync(inflater, inflated, maxDecompressedBytes!.Value, 64 * 1024, ct) is false)
                return new(default, ApiResults.TooLarge($"The decompressed body may be at most {maxDecompressedBytes} bytes."));
        }
        catch (InvalidDataException)
        {
            return new(default, ApiResults.BadRequest("malformed-gzip", "The body is not valid gzip."));
        }
        return new(inflated.GetBuffer().AsMemory(0, (int)inflated.Length), null);
    }

    /// <summary>Copies at most <paramref name="maxBytes"/>; false as soon as the source holds more.</summary>
    private static async Task<bool> CopyLimitedAsync(Stream source, MemoryStream target, long maxBytes, int chunkSize, CancellationToken ct)
    {
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(chunk.AsMemory(0, chunkSize), ct)) > 0)
            {
                if (target.Length + read > maxBytes) return false;
                target.Write(chunk, 0, read);
            }
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
