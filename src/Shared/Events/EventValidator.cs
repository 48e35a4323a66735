using System.Globalization;
using System.Text.Json;
using PulseStream.Http;

namespace PulseStream.Events;

/// <summary>Checks one event object against the contract's field rules and builds the <see cref="ApiEvent"/>.</summary>
public sealed class EventValidator(TimeProvider time)
{
    public const int MaxEventIdLength = 64;
    public const int MaxPathLength = 2048;
    public const int MaxConsumerIdLength = 128;
    public const int MaxEnvironmentLength = 32;
    public const int MaxAttributes = 20;
    public const int MaxAttributeKeyLength = 64;
    public const int MaxAttributeValueLength = 256;
    public const double MaxLatencyMs = 3_600_000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    private static readonly HashSet<string> Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <summary>Returns the event, or the list of field errors (never both; a valid event has an empty list).</summary>
    public (ApiEvent? Event, IReadOnlyList<FieldError> Errors) Validate(JsonElement element, int? index = null)
    {
        try
        {
            return ValidateFields(element, index);
        }
        catch (InvalidOperationException)
        {
            // Text the JSON reader cannot decode (for example an escaped lone surrogate): this event only is refused.
            return (null, [new FieldError("$", "The event contains text that is not valid Unicode.", index)]);
        }
    }

    /// <summary>
    /// Collects field errors for one event. A struct passed by reference, so validating a valid event allocates no
    /// error list and no closure (the ingest path validates hundreds of thousands of events a second).
    /// </summary>
    private struct Errors(int? index)
    {
        public List<FieldError>? List;
        public readonly bool Any => List is { Count: > 0 };
        public void Fail(string field, string message) => (List ??= []).Add(new FieldError(field, message, index));
    }

    private (ApiEvent? Event, IReadOnlyList<FieldError> Errors) ValidateFields(JsonElement element, int? index)
    {
        var errors = new Errors(index);
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Fail("$", "An event must be a JSON object.");
            return (null, errors.List!);
        }

        var eventId = OptionalString(element, "eventId", MaxEventIdLength, ref errors);
        var timestamp = RequiredTimestamp(element, ref errors);
        var method = RequiredString(element, "method", 16, ref errors)?.ToUpperInvariant();
        if (method is not null && !Methods.Contains(method)) errors.Fail("method", "Must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.");
        var path = RequiredString(element, "path", MaxPathLength, ref errors);
        if (path is not null && !path.StartsWith('/')) errors.Fail("path", "Must start with '/'.");
        var route = OptionalString(element, "route", MaxPathLength, ref errors);
        if (route is not null && !route.StartsWith('/')) errors.Fail("route", "Must start with '/'.");
        var statusCode = RequiredNumber(element, "statusCode", ref errors);
        if (statusCode is { } s && (s != Math.Floor(s) || s < 100 || s > 599)) errors.Fail("statusCode", "Must be an integer from 100 to 599.");
        var latency = RequiredNumber(element, "latencyMs", ref errors);
        if (latency is { } l && (l < 0 || l > MaxLatencyMs)) errors.Fail("latencyMs", "Must be from 0 to 3,600,000.");
        var requestBytes = OptionalCount(element, "requestBytes", ref errors);
        var responseBytes = OptionalCount(element, "responseBytes", ref errors);
        var consumerId = OptionalString(element, "consumerId", MaxConsumerIdLength, ref errors);
        var environment = OptionalString(element, "environment", MaxEnvironmentLength, ref errors);
        var attributes = OptionalAttributes(element, ref errors);

        if (errors.Any) return (null, errors.List!);
        // An empty id is no id: treating "" as an id would store only one of every event sent with it.
        var apiEvent = new ApiEvent(
            string.IsNullOrEmpty(eventId) ? null : eventId, timestamp!.Value, method!, path!, route ?? RouteTemplates.Derive(path!), (int)statusCode!.Value, latency!.Value,
            requestBytes, responseBytes, string.IsNullOrEmpty(consumerId) ? null : consumerId,
            string.IsNullOrEmpty(environment) ? "production" : environment, attributes);
        return (apiEvent, []);
    }

    private DateTimeOffset? RequiredTimestamp(JsonElement element, ref Errors errors)
    {
        if (!element.TryGetProperty("timestamp", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Fail("timestamp", "Required.");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !TryParseRfc3339(value.GetString()!, out var timestamp))
        {
            errors.Fail("timestamp", "Must be an RFC 3339 date-time with a time zone, like 2026-01-31T12:00:00Z.");
            return null;
        }
        if (TimestampProblem(timestamp) is { } problem) { errors.Fail("timestamp", problem); return null; }
        return timestamp;
    }

    /// <summary>Why a timestamp is outside the accepted window, or <c>null</c> when it is inside.</summary>
    public string? TimestampProblem(DateTimeOffset timestamp)
    {
        var now = time.GetUtcNow();
        if (timestamp < now - MaxAge) return "Must not be older than 7 days.";
        if (timestamp > now + MaxAhead) return "Must not be more than 5 minutes in the future.";
        return null;
    }

    /// <summary>Whether an upper-case HTTP method is one the contract records.</summary>
    public static bool IsKnownMethod(string method) => Methods.Contains(method);

    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20 || text.Length > 40) return false;
        var last = text[^1];
        var hasZone = last is 'Z' or 'z' || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        if (!hasZone || text[10] is not ('T' or 't')) return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out value);
    }

    private static string? RequiredString(JsonElement element, string name, int maxLength, ref Errors errors)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Fail(name, "Required.");
            return null;
        }
        return StringValue(value, name, maxLength, ref errors);
    }

    private static string? OptionalString(JsonElement element, string name, int maxLength, ref Errors errors) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? StringValue(value, name, maxLength, ref errors) : null;

    private static string? StringValue(JsonElement value, string name, int maxLength, ref Errors errors)
    {
        if (value.ValueKind != JsonValueKind.String) { errors.Fail(name, "Must be a string."); return null; }
        var text = value.GetString()!;
        if (text.Length > maxLength) { errors.Fail(name, $"Must be at most {maxLength} characters."); return null; }
        return text;
    }

    private static double? RequiredNumber(JsonElement element, string name, ref Errors errors)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) { errors.Fail(name, "Required."); return null; }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            errors.Fail(name, "Must be a number.");
            return null;
        }
        return number;
    }

    private static long? OptionalCount(JsonElement element, string name, ref Errors errors)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var count) || count < 0)
        {
            errors.Fail(name, "Must be a whole number of at least 0.");
            return null;
        }
        return count;
    }

    private static Dictionary<string, string>? OptionalAttributes(JsonElement element, ref Errors errors)
    {
        if (!element.TryGetProperty("attributes", out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object) { errors.Fail("attributes", "Must be an object of strings."); return null; }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (attributes.Count == MaxAttributes) { errors.Fail("attributes", $"At most {MaxAttributes} keys."); return null; }
            if (property.Name.Length is 0 or > MaxAttributeKeyLength) { errors.Fail("attributes", $"Keys must be 1 to {MaxAttributeKeyLength} characters."); return null; }
            if (property.Value.ValueKind != JsonValueKind.String) { errors.Fail($"attributes.{property.Name}", "Must be a string."); return null; }
            var text = property.Value.GetString()!;
            if (text.Length > MaxAttributeValueLength) { errors.Fail($"attributes.{property.Name}", $"Must be at most {MaxAttributeValueLength} characters."); return null; }
            attributes[property.Name] = text;
        }
        return attributes;
    }
}
