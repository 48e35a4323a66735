namespace PulseStream.Events;

/// <summary>
/// Encodes accepted events as event-hub message bodies: many API events per message (Event Hubs counts messages),
/// each body at most <c>maxBodyBytes</c>. Bodies are written in the binary form (<see cref="ProtobufEnvelopeCodec"/>),
/// chosen over JSON by measurement (docs/PERFORMANCE.md); both forms are read, told apart by the first byte.
/// </summary>
public static class EventEnvelopeCodec
{
    /// <summary>Event Hubs caps a message (and a batch) at 1 MB; leave room for AMQP framing.</summary>
    public const int DefaultMaxBodyBytes = 900 * 1024;

    public static List<byte[]> Encode(EventEnvelope envelope, int maxBodyBytes = DefaultMaxBodyBytes) =>
        ProtobufEnvelopeCodec.Encode(envelope, maxBodyBytes);

    public static EventEnvelope Decode(ReadOnlySpan<byte> body) =>
        body.Length > 0 && body[0] == (byte)'{' ? JsonEnvelopeCodec.Decode(body) : ProtobufEnvelopeCodec.Decode(body);
}
