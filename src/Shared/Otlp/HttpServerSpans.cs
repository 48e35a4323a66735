using System.Globalization;
using PulseStream.Events;
using PulseStream.Otlp.Protocol;

namespace PulseStream.Otlp;

/// <summary>What an export became: the events, and how many spans were ignored or rejected, with reasons.</summary>
public sealed record SpanConversion(List<ApiEvent> Events, int IgnoredSpans, int RejectedSpans, IReadOnlyList<string> RejectionReasons);

/// <summary>
/// Turns the server spans of an OTLP trace export into API events, by the HTTP semantic conventions (the current
/// names first, then the older ones that many instrumentations still send). A span that is not a server span, or a
/// server span with no HTTP method, is not an API request: it is ignored and counted. A server HTTP span that breaks
/// a field rule of the event contract is rejected with a reason, like an invalid event in a batch.
/// </summary>
public sealed class HttpServerSpans(EventValidator validator)
{
    public const string DefaultConsumerAttribute = "enduser.id";
    private const int MaxReasons = 10;

    public SpanConversion Convert(ExportTraceServiceRequest request, string consumerAttribute)
    {
        var events = new List<ApiEvent>();
        var reasons = new List<string>();
        int ignored = 0, rejected = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = resourceSpans.Resource?.Attributes ?? [];
            var environment = Text(resource, "deployment.environment.name") ?? Text(resource, "deployment.environment") ?? "production";
            var service = Text(resource, "service.name");
            foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
            {
                var method = span.Kind == Span.Types.SpanKind.Server
                    ? Text(span.Attributes, "http.request.method") ?? Text(span.Attributes, "http.method")
                    : null;
                if (method is null) { ignored++; continue; }
                var (apiEvent, problem) = ToEvent(span, method, environment, service, consumerAttribute);
                if (apiEvent is not null) { events.Add(apiEvent); continue; }
                rejected++;
                if (reasons.Count < MaxReasons) reasons.Add($"span {SpanName(span)}: {problem}");
            }
        }
        return new SpanConversion(events, ignored, rejected, reasons);
    }

    private (ApiEvent? Event, string? Problem) ToEvent(Span span, string method, string environment, string? service, string consumerAttribute)
    {
        method = method.ToUpperInvariant();
        if (!EventValidator.IsKnownMethod(method)) return (null, $"http.request.method '{Clip(method)}' is not one PulseStream records.");
        if ((Integer(span.Attributes, "http.response.status_code") ?? Integer(span.Attributes, "http.status_code")) is not { } status)
            return (null, "no http.response.status_code.");
        if (status is < 100 or > 599) return (null, $"http.response.status_code {status} is not from 100 to 599.");

        var route = Rooted(Text(span.Attributes, "http.route"));
        var path = Rooted(Text(span.Attributes, "url.path") ?? WithoutQuery(Text(span.Attributes, "http.target"))) ?? route;
        if (path is null) return (null, "no url.path, http.target or http.route.");
        if (path.Length > EventValidator.MaxPathLength || route?.Length > EventValidator.MaxPathLength)
            return (null, $"the path or route is longer than {EventValidator.MaxPathLength} characters.");

        if (span.StartTimeUnixNano == 0 || span.EndTimeUnixNano < span.StartTimeUnixNano)
            return (null, "the start and end times are missing or out of order.");
        var latencyMs = (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000d;
        if (latencyMs > EventValidator.MaxLatencyMs) return (null, "the span lasted longer than an hour.");
        var timestamp = DateTimeOffset.UnixEpoch.AddTicks((long)(span.StartTimeUnixNano / 100));
        if (validator.TimestampProblem(timestamp) is { } tooOldOrNew) return (null, $"start time: {tooOldOrNew}");

        var consumer = Text(span.Attributes, consumerAttribute) ?? Integer(span.Attributes, consumerAttribute)?.ToString(CultureInfo.InvariantCulture);
        if (consumer?.Length > EventValidator.MaxConsumerIdLength)
            return (null, $"{consumerAttribute} is longer than {EventValidator.MaxConsumerIdLength} characters.");
        if (environment.Length > EventValidator.MaxEnvironmentLength)
            return (null, $"deployment.environment.name is longer than {EventValidator.MaxEnvironmentLength} characters.");

        var attributes = service is { Length: > 0 and <= EventValidator.MaxAttributeValueLength }
            ? new Dictionary<string, string> { ["service.name"] = service }
            : null;
        var apiEvent = new ApiEvent(
            EventId(span), timestamp, method, path, route ?? RouteTemplates.Derive(path), (int)status, latencyMs,
            NonNegative(span.Attributes, "http.request.body.size"), NonNegative(span.Attributes, "http.response.body.size"),
            string.IsNullOrEmpty(consumer) ? null : consumer, environment.Length == 0 ? "production" : environment, attributes);
        return (apiEvent, null);
    }

    /// <summary>Trace id + span id: an exporter that retries an export sends the same spans, which are then stored once.</summary>
    private static string? EventId(Span span) =>
        span.TraceId.Length == 16 && span.SpanId.Length == 8
            ? System.Convert.ToHexStringLower(span.TraceId.Span) + System.Convert.ToHexStringLower(span.SpanId.Span)
            : null;

    /// <summary>The span id as hex when it is a valid 8-byte id; the reason text stays short whatever the exporter sent.</summary>
    private static string SpanName(Span span) => span.SpanId.Length == 8 ? System.Convert.ToHexStringLower(span.SpanId.Span) : "(no valid id)";

    private static string? Rooted(string? path) => string.IsNullOrEmpty(path) ? null : path[0] == '/' ? path : "/" + path;

    private static string? WithoutQuery(string? target) => target?.IndexOf('?') is >= 0 and var q ? target[..q] : target;

    private static string Clip(string text) => text.Length <= 32 ? text : text[..32] + "...";

    private static AnyValue? Find(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value;

    private static string? Text(IEnumerable<KeyValue> attributes, string key) =>
        Find(attributes, key) is { ValueCase: AnyValue.ValueOneofCase.StringValue } value ? value.StringValue : null;

    /// <summary>Integers sent as int values or as decimal text (older instrumentations send status codes as text).</summary>
    private static long? Integer(IEnumerable<KeyValue> attributes, string key) => Find(attributes, key) switch
    {
        { ValueCase: AnyValue.ValueOneofCase.IntValue } value => value.IntValue,
        { ValueCase: AnyValue.ValueOneofCase.StringValue } value
            when long.TryParse(value.StringValue, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    private static long? NonNegative(IEnumerable<KeyValue> attributes, string key) => Integer(attributes, key) is >= 0 and var n ? n : null;
}
