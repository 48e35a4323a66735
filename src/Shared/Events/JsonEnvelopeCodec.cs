using System.Buffers;
using System.Text.Json;

namespace PulseStream.Events;

/// <summary>
/// The JSON form of an envelope (version 1): compact JSON with short property names. The first wire form; consumers
/// still read it, so messages written before the binary form was chosen are not lost (see <see cref="EventEnvelopeCodec"/>).
/// </summary>
public static class JsonEnvelopeCodec
{
    public const int Version = 1;

    public static List<byte[]> Encode(EventEnvelope envelope, int maxBodyBytes)
    {
        var header = EncodeHeader(envelope);
        var bodies = new List<byte[]>();
        var current = new ArrayBufferWriter<byte>(Math.Min(maxBodyBytes, 64 * 1024));
        var count = 0;
        var eventBuffer = new ArrayBufferWriter<byte>(1024);
        foreach (var apiEvent in envelope.Events)
        {
            eventBuffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(eventBuffer)) WriteEvent(writer, apiEvent);
            // header + '[' ... ']}' + separators
            var projected = header.Length + current.WrittenCount + eventBuffer.WrittenCount + 3;
            if (count > 0 && projected > maxBodyBytes)
            {
                bodies.Add(Finish(header, current));
                current.ResetWrittenCount();
                count = 0;
            }
            if (header.Length + eventBuffer.WrittenCount + 3 > maxBodyBytes)
                throw new InvalidOperationException("A single event is larger than the message size limit.");
            if (count > 0) current.Write(","u8);
            current.Write(eventBuffer.WrittenSpan);
            count++;
        }
        if (count > 0) bodies.Add(Finish(header, current));
        return bodies;
    }

    private static byte[] EncodeHeader(EventEnvelope envelope)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", Version);
            writer.WriteString("t", envelope.TenantId);
            writer.WriteString("r", envelope.ReceivedAt);
            writer.WritePropertyName("e");
            writer.Flush();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Finish(byte[] header, ArrayBufferWriter<byte> events)
    {
        var body = new byte[header.Length + events.WrittenCount + 3];
        header.CopyTo(body, 0);
        body[header.Length] = (byte)'[';
        events.WrittenSpan.CopyTo(body.AsSpan(header.Length + 1));
        body[^2] = (byte)']';
        body[^1] = (byte)'}';
        return body;
    }

    private static void WriteEvent(Utf8JsonWriter writer, ApiEvent e)
    {
        writer.WriteStartObject();
        if (e.EventId is not null) writer.WriteString("id", e.EventId);
        writer.WriteString("ts", e.Timestamp);
        writer.WriteString("m", e.Method);
        writer.WriteString("p", e.Path);
        writer.WriteString("rt", e.Route);
        writer.WriteNumber("s", e.StatusCode);
        writer.WriteNumber("l", e.LatencyMs);
        if (e.RequestBytes is { } rq) writer.WriteNumber("qb", rq);
        if (e.ResponseBytes is { } rs) writer.WriteNumber("sb", rs);
        if (e.ConsumerId is not null) writer.WriteString("c", e.ConsumerId);
        writer.WriteString("env", e.Environment);
        if (e.Attributes is { Count: > 0 })
        {
            writer.WriteStartObject("a");
            foreach (var (key, value) in e.Attributes) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    public static EventEnvelope Decode(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.GetProperty("v").GetInt32() != Version) throw new FormatException("Unknown envelope version.");
        var events = new List<ApiEvent>();
        foreach (var e in root.GetProperty("e").EnumerateArray())
        {
            Dictionary<string, string>? attributes = null;
            if (e.TryGetProperty("a", out var a))
            {
                attributes = [];
                foreach (var p in a.EnumerateObject()) attributes[p.Name] = p.Value.GetString()!;
            }
            events.Add(new ApiEvent(
                e.TryGetProperty("id", out var id) ? id.GetString() : null,
                e.GetProperty("ts").GetDateTimeOffset(),
                e.GetProperty("m").GetString()!,
                e.GetProperty("p").GetString()!,
                e.GetProperty("rt").GetString()!,
                e.GetProperty("s").GetInt32(),
                e.GetProperty("l").GetDouble(),
                e.TryGetProperty("qb", out var qb) ? qb.GetInt64() : null,
                e.TryGetProperty("sb", out var sb) ? sb.GetInt64() : null,
                e.TryGetProperty("c", out var c) ? c.GetString() : null,
                e.GetProperty("env").GetString()!,
                attributes));
        }
        return new EventEnvelope(root.GetProperty("t").GetGuid(), root.GetProperty("r").GetDateTimeOffset(), events);
    }
}
