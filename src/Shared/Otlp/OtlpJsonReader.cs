using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using PulseStream.Otlp.Protocol;

namespace PulseStream.Otlp;

/// <summary>
/// Reads the OTLP/JSON encoding of a trace export into the protobuf message types. OTLP/JSON is the protobuf JSON
/// mapping with the specification's differences: trace and span ids are hex strings (not base64), enum values are
/// integers, 64-bit integers may be numbers or strings, and unknown fields are ignored. Only the fields PulseStream
/// reads are taken; a field of the wrong JSON type is a <see cref="FormatException"/> naming it.
/// </summary>
public static class OtlpJsonReader
{
    /// <summary>The spans and attributes an export holds, counted without building them.</summary>
    public static (long Spans, long Attributes) Count(JsonElement root)
    {
        long spans = 0, attributes = 0;
        foreach (var resourceSpans in Array(root, "resourceSpans"))
        {
            if (Object(resourceSpans, "resource") is { } resource) attributes += Length(resource, "attributes");
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            foreach (var span in Array(scopeSpans, "spans"))
            {
                spans++;
                attributes += Length(span, "attributes");
            }
        }
        return (spans, attributes);
    }

    private static int Length(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : 0;

    public static ExportTraceServiceRequest Read(JsonElement root)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var resourceSpans in Array(root, "resourceSpans"))
        {
            var resource = new ResourceSpans();
            if (Object(resourceSpans, "resource") is { } resourceElement)
                resource.Resource = new Resource { Attributes = { Attributes(resourceElement) } };
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                var scope = new ScopeSpans();
                foreach (var span in Array(scopeSpans, "spans")) scope.Spans.Add(ReadSpan(span));
                resource.ScopeSpans.Add(scope);
            }
            request.ResourceSpans.Add(resource);
        }
        return request;
    }

    private static Span ReadSpan(JsonElement element) => new()
    {
        TraceId = HexBytes(element, "traceId"),
        SpanId = HexBytes(element, "spanId"),
        Name = String(element, "name") ?? "",
        Kind = (Span.Types.SpanKind)(Integer(element, "kind") ?? 0),
        StartTimeUnixNano = (ulong)(Integer(element, "startTimeUnixNano") ?? 0),
        EndTimeUnixNano = (ulong)(Integer(element, "endTimeUnixNano") ?? 0),
        Attributes = { Attributes(element) },
    };

    private static IEnumerable<KeyValue> Attributes(JsonElement owner) =>
        Array(owner, "attributes").Select(a => new KeyValue
        {
            Key = String(a, "key") ?? "",
            Value = Object(a, "value") is { } value ? ReadValue(value) : new AnyValue(),
        });

    /// <summary>Scalar values only: PulseStream reads no array or map attributes, so those stay empty.</summary>
    private static AnyValue ReadValue(JsonElement element)
    {
        var value = new AnyValue();
        if (String(element, "stringValue") is { } text) value.StringValue = text;
        else if (Integer(element, "intValue") is { } integer) value.IntValue = integer;
        else if (element.TryGetProperty("doubleValue", out var number)) value.DoubleValue = Double(number, "doubleValue");
        else if (element.TryGetProperty("boolValue", out var flag))
            value.BoolValue = flag.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new FormatException("'boolValue' must be true or false."),
            };
        return value;
    }

    /// <summary>An array of objects (every array PulseStream reads in OTLP/JSON holds objects).</summary>
    private static IEnumerable<JsonElement> Array(JsonElement owner, string name)
    {
        if (owner.ValueKind != JsonValueKind.Object) throw new FormatException($"The body must be a JSON object.");
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array) throw new FormatException($"'{name}' must be an array.");
        return value.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Object
            ? item
            : throw new FormatException($"Each item of '{name}' must be an object."));
    }

    private static JsonElement? Object(JsonElement owner, string name)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Object ? value : throw new FormatException($"'{name}' must be an object.");
    }

    private static string? String(JsonElement owner, string name)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new FormatException($"'{name}' must be a string.");
    }

    /// <summary>A 64-bit integer as a JSON number or a decimal string (the protobuf JSON mapping allows both).</summary>
    private static long? Integer(JsonElement owner, string name)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)) return number;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out var large)) return unchecked((long)large);
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)) return number;
            if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out large)) return unchecked((long)large);
        }
        throw new FormatException($"'{name}' must be an integer.");
    }

    private static double Double(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        JsonValueKind.String when value.GetString() is "NaN" or "Infinity" or "-Infinity" => double.NaN,
        _ => throw new FormatException($"'{name}' must be a number."),
    };

    private static ByteString HexBytes(JsonElement owner, string name)
    {
        var text = String(owner, name);
        if (string.IsNullOrEmpty(text)) return ByteString.Empty;
        try
        {
            return ByteString.CopyFrom(Convert.FromHexString(text));
        }
        catch (FormatException)
        {
            throw new FormatException($"'{name}' must be a hex string.");
        }
    }
}
