using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Otlp.Protocol;

namespace PulseStream.Otlp;

/// <summary>The two OTLP/HTTP encodings: binary protobuf and JSON; a response goes back in the request's encoding.</summary>
public enum OtlpWireFormat { Protobuf, Json }

public static class OtlpEncoding
{
    /// <summary>OTLP/JSON nests deeper than the event API: request, resource, scope, span, attribute, value, arrays.</summary>
    private const int MaxJsonDepth = 32;

    /// <summary>
    /// Bounds on what one export may expand into, checked before anything is built: an exporter batches 512 spans by
    /// default, and the body limits alone would let a few compressed megabytes become millions of objects.
    /// </summary>
    public const int MaxSpans = 10_000;
    public const int MaxAttributes = 200_000;

    private static readonly Google.Protobuf.MessageParser<ExportTraceServiceRequest> Parser =
        ExportTraceServiceRequest.Parser.WithDiscardUnknownFields(true);

    internal static IActionResult? TooMany(long spans, long attributes) =>
        spans > MaxSpans || attributes > MaxAttributes
            ? ApiResults.TooLarge($"An export may hold at most {MaxSpans:N0} spans and {MaxAttributes:N0} attributes; this one has {spans:N0} and {attributes:N0}.")
            : null;

    private static string SpansWere(int count) => count == 1 ? "1 span was" : $"{count} spans were";

    /// <summary>The encoding of a content type, by the same media-type rule as the JSON routes (<see cref="MediaTypes"/>).</summary>
    public static OtlpWireFormat? FromContentType(string? contentType) =>
        MediaTypes.IsProtobuf(contentType) ? OtlpWireFormat.Protobuf : MediaTypes.IsJson(contentType) ? OtlpWireFormat.Json : null;

    public static (ExportTraceServiceRequest? Export, IActionResult? Failure) Parse(OtlpWireFormat format, ReadOnlyMemory<byte> body)
    {
        if (format == OtlpWireFormat.Protobuf)
        {
            try
            {
                var (spans, attributes) = OtlpWireCounter.Count(body.Span);
                if (TooMany(spans, attributes) is { } tooMany) return (null, tooMany);
                return (Parser.ParseFrom(body.Span), null);
            }
            catch (FormatException e)
            {
                return (null, ApiResults.BadRequest("malformed-otlp", $"The body is not an OTLP ExportTraceServiceRequest: {e.Message}"));
            }
            catch (InvalidProtocolBufferException e)
            {
                return (null, ApiResults.BadRequest("malformed-otlp", $"The body is not an OTLP ExportTraceServiceRequest: {e.Message}"));
            }
        }
        var json = JsonBodyReader.Parse(body, MaxJsonDepth);
        if (json.Failure is not null) return (null, json.Failure);
        using var document = json.Document!;
        try
        {
            var (spans, attributes) = OtlpJsonReader.Count(document.RootElement);
            if (TooMany(spans, attributes) is { } tooMany) return (null, tooMany);
            return (OtlpJsonReader.Read(document.RootElement), null);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return (null, ApiResults.BadRequest("malformed-otlp", $"The body is not OTLP/JSON trace data: {e.Message}"));
        }
    }

    /// <summary>
    /// 200 with an ExportTraceServiceResponse. Rejected spans (HTTP server spans that break a field rule, or that the key
    /// may not send for their environment) are counted in <c>rejected_spans</c>; ignored spans (not HTTP server spans)
    /// are named in the message only, which the specification treats as a warning.
    /// </summary>
    public static IActionResult Response(OtlpWireFormat format, SpanConversion conversion, int notAllowed)
    {
        var response = new ExportTraceServiceResponse();
        var rejected = conversion.RejectedSpans + notAllowed;
        if (rejected > 0 || conversion.IgnoredSpans > 0)
        {
            var parts = new List<string>();
            if (conversion.IgnoredSpans > 0) parts.Add($"{SpansWere(conversion.IgnoredSpans)} not HTTP server spans and were ignored");
            if (notAllowed > 0) parts.Add($"{SpansWere(notAllowed)} for environments this API key may not send");
            parts.AddRange(conversion.RejectionReasons);
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = rejected, ErrorMessage = string.Join("; ", parts) };
        }
        return format == OtlpWireFormat.Protobuf
            ? new RawBodyResult(response.ToByteArray(), StatusCodes.Status200OK, "application/x-protobuf")
            : new RawBodyResult(System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(response)), StatusCodes.Status200OK, "application/json");
    }
}
