using System.Buffers.Binary;
using System.Buffers.Text;

namespace PulseStream.Events;

/// <summary>
/// The position of the last event of a page, in the page order (timestamp descending, then id descending): opaque to
/// clients (base64url of 16 bytes). The id breaks ties, so events that share a timestamp are never skipped or repeated.
/// </summary>
public readonly record struct EventCursor(long TimestampMicros, long Id)
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    public static EventCursor After(StoredEvent e) => new(ToMicros(e.Event.Timestamp), e.Id);

    /// <summary>Whether an event at (<paramref name="micros"/>, <paramref name="id"/>) comes after this position, i.e. on a later page.</summary>
    public bool IsAfter(long micros, long id) => micros < TimestampMicros || micros == TimestampMicros && id < Id;

    public DateTimeOffset Timestamp => FromMicros(TimestampMicros);

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, TimestampMicros);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], Id);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string text, out EventCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[16];
        if (text.Length != 22 || !Base64Url.IsValid(text.AsSpan()) || !Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != 16) return false;
        cursor = new EventCursor(BinaryPrimitives.ReadInt64BigEndian(bytes), BinaryPrimitives.ReadInt64BigEndian(bytes[8..]));
        return true;
    }

    /// <summary>Microseconds since the Unix epoch: the resolution Postgres and the envelope keep.</summary>
    public static long ToMicros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TicksPerMicrosecond);
}
