using Microsoft.Net.Http.Headers;

namespace PulseStream.Http;

/// <summary>
/// Which <c>Content-Type</c> values a route reads as what, by the parsed media type (RFC 9110 §8.3.1) rather than a
/// prefix: <c>application/json</c> (any case) with any parameters is JSON, but <c>application/jsonfoo</c>,
/// <c>application/json-seq</c> and <c>text/json</c> are not; a <c>charset</c> parameter, if sent, must be
/// <c>utf-8</c>, the only encoding JSON text exchanged between systems may use (RFC 8259 §8.1).
/// </summary>
public static class MediaTypes
{
    public const string Json = "application/json";
    public const string Protobuf = "application/x-protobuf";

    /// <summary>Whether the content type is JSON in UTF-8 (the JSON routes and OTLP/JSON).</summary>
    public static bool IsJson(string? contentType) =>
        TryParse(contentType, out var media) && media.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) && IsUtf8OrUnstated(media);

    /// <summary>Whether the content type is binary protobuf (OTLP/HTTP's default encoding).</summary>
    public static bool IsProtobuf(string? contentType) =>
        TryParse(contentType, out var media) && media.MediaType.Equals(Protobuf, StringComparison.OrdinalIgnoreCase);

    private static bool TryParse(string? contentType, out MediaTypeHeaderValue media)
    {
        media = null!;
        return contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out media!) && !media.MatchesAllTypes && !media.MatchesAllSubTypes;
    }

    private static bool IsUtf8OrUnstated(MediaTypeHeaderValue media)
    {
        var charset = media.Parameters.Where(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase)).ToList();
        return charset.Count == 0
            || (charset.Count == 1 && HeaderUtilities.RemoveQuotes(charset[0].Value).Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
