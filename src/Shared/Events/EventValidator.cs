using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using PulseStream.Http;

namespace PulseStream.Events;

/// <summary>
/// Checks one event object against the contract's field rules (<see cref="EventRules"/>) and builds the
/// <see cref="ApiEvent"/>. One pass over the object's members: each known name sets a bit, so a duplicate key is seen
/// without a set (a set is made only when the event has unknown names); a valid event allocates nothing but its own
/// strings, dictionary and record.
/// </summary>
public sealed class EventValidator(TimeProvider time)
{
    public const int MaxEventIdLength = EventRules.MaxEventIdLength;
    public const int MaxPathLength = EventRules.MaxPathLength;
    public const int MaxConsumerIdLength = EventRules.MaxConsumerIdLength;
    public const int MaxEnvironmentLength = EventRules.MaxEnvironmentLength;
    public const int MaxAttributes = EventRules.MaxAttributes;
    public const int MaxAttributeKeyLength = EventRules.MaxAttributeKeyLength;
    public const int MaxAttributeValueLength = EventRules.MaxAttributeValueLength;
    public const double MaxLatencyMs = EventRules.MaxLatencyMs;
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    private const string DefaultEnvironment = "production";
    private const string TimestampProblemText = "Must be an RFC 3339 date-time with a time zone, like 2026-01-31T12:00:00Z.";

    // The known members, numbered in the order their errors are reported.
    private const int EventId = 0, Timestamp = 1, Method = 2, Path = 3, Route = 4, StatusCode = 5, LatencyMs = 6,
        RequestBytes = 7, ResponseBytes = 8, ConsumerId = 9, Environment = 10, Attributes = 11, KnownCount = 12;

    private static readonly string[] Names =
        ["eventId", "timestamp", "method", "path", "route", "statusCode", "latencyMs", "requestBytes", "responseBytes", "consumerId", "environment", "attributes"];

    /// <summary>The known members' values, on the stack; a member not sent is <see cref="JsonValueKind.Undefined"/>.</summary>
    [InlineArray(KnownCount)]
    private struct Members
    {
        private JsonElement _first;
    }

    /// <summary>Returns the event, or the list of field errors (never both; a valid event has an empty list).</summary>
    public (ApiEvent? Event, IReadOnlyList<FieldError> Errors) Validate(JsonElement element, int? index = null)
    {
        try
        {
            return ValidateFields(element, index);
        }
        catch (InvalidOperationException)
        {
            // A member name the reader cannot decode (an escaped lone surrogate): this event only is refused.
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

        var members = new Members();
        int seen = 0, duplicated = 0;
        HashSet<string>? unknown = null, unknownDuplicated = null;
        foreach (var property in element.EnumerateObject())
        {
            var field = KnownField(property);
            if (field >= 0)
            {
                var bit = 1 << field;
                if ((seen & bit) == 0) { seen |= bit; members[field] = property.Value; }
                else if ((duplicated & bit) == 0) { duplicated |= bit; errors.Fail(Names[field], EventRules.DuplicateKeyProblem); }
                continue;
            }
            // Unknown members are ignored, but one sent twice still makes the event ambiguous.
            var name = property.Name;
            if (!(unknown ??= new HashSet<string>(StringComparer.Ordinal)).Add(name) && (unknownDuplicated ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                errors.Fail(name, EventRules.DuplicateKeyProblem);
        }

        var eventId = OptionalText(members[EventId], EventId, EventRules.MaxEventIdLength, ref errors);
        var timestamp = RequiredTimestamp(members[Timestamp], ref errors);
        var method = RequiredMethod(members[Method], ref errors);
        var path = RequiredText(members[Path], Path, EventRules.MaxPathLength, ref errors);
        if (path is not null && !path.StartsWith('/')) errors.Fail("path", "Must start with '/'.");
        var route = OptionalText(members[Route], Route, int.MaxValue, ref errors);
        if (route is not null && EventRules.RouteProblem(route) is { } routeProblem) errors.Fail("route", routeProblem);
        var statusCode = RequiredNumber(members[StatusCode], StatusCode, ref errors);
        if (statusCode is { } s && (s != Math.Floor(s) || s < 100 || s > 599)) errors.Fail("statusCode", "Must be an integer from 100 to 599.");
        var latency = RequiredNumber(members[LatencyMs], LatencyMs, ref errors);
        if (latency is { } l && (l < 0 || l > EventRules.MaxLatencyMs)) errors.Fail("latencyMs", "Must be from 0 to 3,600,000.");
        var requestBytes = OptionalByteCount(members[RequestBytes], RequestBytes, ref errors);
        var responseBytes = OptionalByteCount(members[ResponseBytes], ResponseBytes, ref errors);
        var consumerId = OptionalText(members[ConsumerId], ConsumerId, EventRules.MaxConsumerIdLength, ref errors);
        // The default environment is by far the most common: its constant is used instead of a new string.
        var environment = members[Environment].ValueKind == JsonValueKind.String && TryRawString(members[Environment], out var raw) && raw.SequenceEqual("production"u8)
            ? DefaultEnvironment
            : OptionalText(members[Environment], Environment, EventRules.MaxEnvironmentLength, ref errors);
        var attributes = OptionalAttributes(members[Attributes], ref errors);

        if (errors.Any) return (null, errors.List!);
        // An empty id is no id: treating "" as an id would store only one of every event sent with it.
        var apiEvent = new ApiEvent(
            string.IsNullOrEmpty(eventId) ? null : eventId, timestamp!.Value, method!, path!, route ?? RouteTemplates.Derive(path!), (int)statusCode!.Value, latency!.Value,
            requestBytes, responseBytes, string.IsNullOrEmpty(consumerId) ? null : consumerId,
            string.IsNullOrEmpty(environment) ? DefaultEnvironment : environment, attributes);
        return (apiEvent, []);
    }

    /// <summary>The known member a property is, by its raw UTF-8 name (decoded only when it holds escapes), or -1.</summary>
    private static int KnownField(JsonProperty property)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (name.Contains((byte)'\\')) return Array.IndexOf(Names, property.Name);
        return name.Length switch
        {
            4 when name.SequenceEqual("path"u8) => Path,
            5 when name.SequenceEqual("route"u8) => Route,
            6 when name.SequenceEqual("method"u8) => Method,
            7 when name.SequenceEqual("eventId"u8) => EventId,
            9 when name.SequenceEqual("timestamp"u8) => Timestamp,
            9 when name.SequenceEqual("latencyMs"u8) => LatencyMs,
            10 when name.SequenceEqual("statusCode"u8) => StatusCode,
            10 when name.SequenceEqual("consumerId"u8) => ConsumerId,
            10 when name.SequenceEqual("attributes"u8) => Attributes,
            11 when name.SequenceEqual("environment"u8) => Environment,
            12 when name.SequenceEqual("requestBytes"u8) => RequestBytes,
            13 when name.SequenceEqual("responseBytes"u8) => ResponseBytes,
            _ => -1,
        };
    }

    private static bool Missing(JsonElement value) => value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    /// <summary>A JSON string's raw UTF-8 content, or <c>false</c> when it holds escapes and must be decoded.</summary>
    private static bool TryRawString(JsonElement value, out ReadOnlySpan<byte> content)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        content = raw[1..^1];
        return !content.Contains((byte)'\\');
    }

    private DateTimeOffset? RequiredTimestamp(JsonElement value, ref Errors errors)
    {
        if (Missing(value)) { errors.Fail("timestamp", "Required."); return null; }
        if (value.ValueKind != JsonValueKind.String) { errors.Fail("timestamp", TimestampProblemText); return null; }
        // Usually parsed from the raw bytes, with no string made.
        var timestamp = default(DateTimeOffset);
        var parsed = TryRawString(value, out var content)
            ? Rfc3339.TryParse(content, out timestamp)
            : TryDecode(value, out var text) && Rfc3339.TryParse(text, out timestamp);
        if (!parsed) { errors.Fail("timestamp", TimestampProblemText); return null; }
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

    /// <summary>Whether an HTTP method, in any ASCII case, is one the contract records.</summary>
    public static bool IsKnownMethod(string method) => EventRules.KnownMethod(method) is not null;

    /// <summary>The strict RFC 3339 rule of <see cref="Rfc3339"/>.</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset value) => Rfc3339.TryParse(text, out value);

    private static string? RequiredMethod(JsonElement value, ref Errors errors)
    {
        if (Missing(value)) { errors.Fail("method", "Required."); return null; }
        if (value.ValueKind != JsonValueKind.String) { errors.Fail("method", "Must be a string."); return null; }
        var method = TryRawString(value, out var content)
            ? EventRules.KnownMethod(content)
            : TryDecode(value, out var text) ? EventRules.KnownMethod(text) : null;
        if (method is null) errors.Fail("method", EventRules.MethodProblem);
        return method;
    }

    private static string? RequiredText(JsonElement value, int field, int maxLength, ref Errors errors)
    {
        if (Missing(value)) { errors.Fail(Names[field], "Required."); return null; }
        return TextValue(value, Names[field], maxLength, ref errors);
    }

    private static string? OptionalText(JsonElement value, int field, int maxLength, ref Errors errors) =>
        Missing(value) ? null : TextValue(value, Names[field], maxLength, ref errors);

    private static string? TextValue(JsonElement value, string name, int maxLength, ref Errors errors)
    {
        if (value.ValueKind != JsonValueKind.String) { errors.Fail(name, "Must be a string."); return null; }
        if (!TryDecode(value, out var text)) { errors.Fail(name, EventRules.NotUnicodeProblem); return null; }
        if (EventRules.TextProblem(text, maxLength) is { } problem) { errors.Fail(name, problem); return null; }
        return text;
    }

    /// <summary>Decodes a JSON string; <c>false</c> for text that is not Unicode (an escaped lone surrogate).</summary>
    private static bool TryDecode(JsonElement value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    private static double? RequiredNumber(JsonElement value, int field, ref Errors errors)
    {
        if (Missing(value)) { errors.Fail(Names[field], "Required."); return null; }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            errors.Fail(Names[field], "Must be a number.");
            return null;
        }
        return number;
    }

    private static long? OptionalByteCount(JsonElement value, int field, ref Errors errors)
    {
        if (Missing(value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var count) || EventRules.ByteCount(count) is not null)
        {
            errors.Fail(Names[field], EventRules.ByteCountProblem);
            return null;
        }
        return count;
    }

    private static Dictionary<string, string>? OptionalAttributes(JsonElement value, ref Errors errors)
    {
        if (Missing(value)) return null;
        if (value.ValueKind != JsonValueKind.Object) { errors.Fail("attributes", "Must be an object of strings."); return null; }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            string key;
            try
            {
                key = property.Name;
            }
            catch (InvalidOperationException)
            {
                errors.Fail("attributes", "Keys must be valid Unicode text (an escaped surrogate must be half of a pair).");
                return null;
            }
            // Before the count, so that a repeated key is named as such even in a full object.
            if (attributes.ContainsKey(key)) { errors.Fail($"attributes.{key}", EventRules.DuplicateKeyProblem); return null; }
            if (attributes.Count == EventRules.MaxAttributes) { errors.Fail("attributes", $"At most {EventRules.MaxAttributes} keys."); return null; }
            if (key.Length is 0 or > EventRules.MaxAttributeKeyLength) { errors.Fail("attributes", $"Keys must be 1 to {EventRules.MaxAttributeKeyLength} characters."); return null; }
            if (key.Contains('\0')) { errors.Fail("attributes", "Keys must not contain U+0000 (the store cannot hold it)."); return null; }
            if (property.Value.ValueKind != JsonValueKind.String) { errors.Fail($"attributes.{key}", "Must be a string."); return null; }
            // The field's name is made only for an error: a valid event allocates none.
            if (!TryDecode(property.Value, out var text)) { errors.Fail($"attributes.{key}", EventRules.NotUnicodeProblem); return null; }
            if (EventRules.TextProblem(text, EventRules.MaxAttributeValueLength) is { } problem) { errors.Fail($"attributes.{key}", problem); return null; }
            attributes.Add(key, text);
        }
        return attributes;
    }
}
