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
            var attributes = resourceSpans.Resource?.Attributes ?? [];
            var resource = Text(attributes, "deployment.environment.name") is { } name
                ? new ResourceFacts(name, "deployment.environment.name", Text(attributes, "service.name"))
                : new ResourceFacts(Text(attributes, "deployment.environment"), "deployment.environment", Text(attributes, "service.name"));
            foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
            {
                var method = span.Kind == Span.Types.SpanKind.Server
                    ? Text(span.Attributes, "http.request.method") ?? Text(span.Attributes, "http.method")
                    : null;
                if (method is null) { ignored++; continue; }
                var (apiEvent, problem) = ToEvent(span, method, resource, consumerAttribute);
                if (apiEvent is not null) { events.Add(apiEvent); continue; }
                rejected++;
                if (reasons.Count < MaxReasons) reasons.Add($"span {SpanName(span)}: {problem}");
            }
        }
        return new SpanConversion(events, ignored, rejected, reasons);
    }

    /// <summary>
    /// The span as an event, or why it is rejected: the same field rules as a JSON event (<see cref="EventRules"/>),
    /// each reason naming the attribute it came from.
    /// </summary>
    private (ApiEvent? Event, string? Problem) ToEvent(Span span, string method, ResourceFacts resource, string consumerAttribute)
    {
        if (EventRules.KnownMethod(method) is not { } knownMethod) return (null, $"http.request.method '{Clip(method)}' is not one PulseStream records.");
        if ((Integer(span.Attributes, "http.response.status_code") ?? Integer(span.Attributes, "http.status_code")) is not { } status)
            return (null, "no http.response.status_code.");
        if (status is < 100 or > 599) return (null, $"http.response.status_code {status} is not from 100 to 599.");

        var route = Rooted(Text(span.Attributes, "http.route"));
        var (pathSource, pathText) = Text(span.Attributes, "url.path") is { } urlPath ? ("url.path", urlPath)
            : Text(span.Attributes, "http.target") is { } target ? ("http.target", WithoutQuery(target)) : ("http.route", null);
        var path = Rooted(pathText) ?? route;
        if (path is null) return (null, "no url.path, http.target or http.route.");
        if (EventRules.PathProblem(path) is { } pathProblem) return (null, $"{pathSource}: {pathProblem}");
        if (route is not null && EventRules.RouteProblem(route) is { } routeProblem) return (null, $"http.route: {routeProblem}");

        if (span.StartTimeUnixNano == 0 || span.EndTimeUnixNano < span.StartTimeUnixNano)
            return (null, "the start and end times are missing or out of order.");
        var latencyMs = (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000d;
        if (latencyMs > EventRules.MaxLatencyMs) return (null, "the span lasted longer than an hour.");
        var timestamp = DateTimeOffset.UnixEpoch.AddTicks((long)(span.StartTimeUnixNano / 100));
        if (validator.TimestampProblem(timestamp) is { } tooOldOrNew) return (null, $"start time: {tooOldOrNew}");

        var consumer = Text(span.Attributes, consumerAttribute) ?? Integer(span.Attributes, consumerAttribute)?.ToString(CultureInfo.InvariantCulture);
        if (consumer is not null && EventRules.TextProblem(consumer, EventRules.MaxConsumerIdLength) is { } consumerProblem)
            return (null, $"{consumerAttribute}: {consumerProblem}");
        if (resource.Environment is not null && EventRules.TextProblem(resource.Environment, EventRules.MaxEnvironmentLength) is { } environmentProblem)
            return (null, $"{resource.EnvironmentSource}: {environmentProblem}");
        var requestBytes = Integer(span.Attributes, "http.request.body.size");
        if (requestBytes is { } rq && EventRules.ByteCount(rq) is { } requestProblem) return (null, $"http.request.body.size: {requestProblem}");
        var responseBytes = Integer(span.Attributes, "http.response.body.size");
        if (responseBytes is { } rs && EventRules.ByteCount(rs) is { } responseProblem) return (null, $"http.response.body.size: {responseProblem}");

        // service.name is a convenience copied from the resource: kept when it keeps the attribute rule, else left out.
        var attributes = resource.Service is { Length: > 0 } service && EventRules.TextProblem(service, EventRules.MaxAttributeValueLength) is null
            ? new Dictionary<string, string> { ["service.name"] = service }
            : null;
        var environment = string.IsNullOrEmpty(resource.Environment) ? "production" : resource.Environment;
        var apiEvent = new ApiEvent(
            EventId(span), timestamp, knownMethod, path, route ?? RouteTemplates.Derive(path), (int)status, latencyMs,
            requestBytes, responseBytes, string.IsNullOrEmpty(consumer) ? null : consumer, environment, attributes);
        return (apiEvent, null);
    }

    /// <summary>What a span takes from its resource: the environment (and which attribute named it) and the service.</summary>
    private sealed record ResourceFacts(string? Environment, string EnvironmentSource, string? Service);

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
}
