using Google.Protobuf;
using PulseStream.Events.Wire;

namespace PulseStream.Events;

/// <summary>The binary form of an envelope (version 2, <c>event_envelope.proto</c>).</summary>
public static class ProtobufEnvelopeCodec
{
    public const int Version = 2;
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    public static List<byte[]> Encode(EventEnvelope envelope, int maxBodyBytes)
    {
        var tenant = ByteString.CopyFrom(envelope.TenantId.ToByteArray());
        var receivedAt = ToMicros(envelope.ReceivedAt);
        Envelope NewBody() => new() { Version = Version, TenantId = tenant, ReceivedAtUnixMicros = receivedAt };

        var bodies = new List<byte[]>();
        var current = NewBody();
        var headerSize = current.CalculateSize();
        var size = headerSize;
        foreach (var apiEvent in envelope.Events)
        {
            var wire = ToWire(apiEvent);
            var eventSize = wire.CalculateSize();
            // A repeated message field costs its tag (1 byte), its length prefix and the message.
            var framed = 1 + CodedOutputStream.ComputeLengthSize(eventSize) + eventSize;
            if (headerSize + framed > maxBodyBytes)
                throw new InvalidOperationException("A single event is larger than the message size limit.");
            if (current.Events.Count > 0 && size + framed > maxBodyBytes)
            {
                bodies.Add(current.ToByteArray());
                current = NewBody();
                size = headerSize;
            }
            current.Events.Add(wire);
            size += framed;
        }
        if (current.Events.Count > 0) bodies.Add(current.ToByteArray());
        return bodies;
    }

    public static EventEnvelope Decode(ReadOnlySpan<byte> body)
    {
        var envelope = Envelope.Parser.ParseFrom(body);
        if (envelope.Version != Version) throw new FormatException($"Unknown envelope version {envelope.Version}.");
        var events = new List<ApiEvent>(envelope.Events.Count);
        foreach (var e in envelope.Events)
        {
            events.Add(new ApiEvent(
                e.EventId.Length == 0 ? null : e.EventId, FromMicros(e.TimestampUnixMicros), e.Method, e.Path, e.Route, e.StatusCode, e.LatencyMs,
                e.HasRequestBytes ? e.RequestBytes : null, e.HasResponseBytes ? e.ResponseBytes : null,
                e.ConsumerId.Length == 0 ? null : e.ConsumerId, e.Environment,
                e.Attributes.Count == 0 ? null : new Dictionary<string, string>(e.Attributes, StringComparer.Ordinal)));
        }
        return new EventEnvelope(new Guid(envelope.TenantId.Span), FromMicros(envelope.ReceivedAtUnixMicros), events);
    }

    private static Event ToWire(ApiEvent e)
    {
        var wire = new Event
        {
            EventId = e.EventId ?? "", TimestampUnixMicros = ToMicros(e.Timestamp), Method = e.Method, Path = e.Path, Route = e.Route,
            StatusCode = e.StatusCode, LatencyMs = e.LatencyMs, ConsumerId = e.ConsumerId ?? "", Environment = e.Environment,
        };
        if (e.RequestBytes is { } requestBytes) wire.RequestBytes = requestBytes;
        if (e.ResponseBytes is { } responseBytes) wire.ResponseBytes = responseBytes;
        if (e.Attributes is { Count: > 0 }) foreach (var (key, value) in e.Attributes) wire.Attributes[key] = value;
        return wire;
    }

    /// <summary>Microseconds: the resolution Postgres stores timestamps with, so nothing is lost on the way.</summary>
    private static long ToMicros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    private static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TicksPerMicrosecond);
}
