using System.Text;

namespace PulseStream.Events.Segments;

/// <summary>
/// The body of one segment: a tenant's events column by column, then compressed with zstd. Timestamps are deltas in
/// microseconds (events sorted by time, so most deltas take one or two bytes); method, path, route, consumer,
/// environment, receive time and attribute keys and values are dictionaries with one small index per event; byte
/// counts are varints; latencies are the exact doubles (as thousandths in a varint when every latency of the segment
/// round-trips that way, which is what clients send, else as the raw bits split into byte planes). What the edge
/// accepts comes back exactly: any string, null as distinct from empty, every double bit for bit.
/// </summary>
public static class SegmentCodec
{
    private const byte Version = 1;
    private const byte LatencyThousandths = 1, LatencyRawBits = 0;
    private const byte HasRequestBytes = 1, HasResponseBytes = 2, HasAttributes = 4, HasEventId = 8;
    private const int CompressionLevel = 1;

    /// <summary>Strings go to UTF-8 strictly: a lone surrogate fails the write instead of being silently replaced.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [ThreadStatic] private static ZstdSharp.Compressor? _compressor;
    [ThreadStatic] private static ZstdSharp.Decompressor? _decompressor;

    /// <summary>Encodes events already sorted by timestamp (ordinal = position); see <see cref="SortForSegment"/>.</summary>
    public static byte[] Encode(IReadOnlyList<(DateTimeOffset ReceivedAt, ApiEvent Event)> events)
    {
        var w = new ByteWriter(64 + events.Count * 24);
        w.Byte(Version);
        w.VarUInt((ulong)events.Count);

        var methods = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new Dictionary<string, int>(StringComparer.Ordinal);
        var routes = new Dictionary<string, int>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        var environments = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        var received = new Dictionary<long, int>();
        var indices = new int[events.Count * 6];
        var thousandths = true;
        for (var i = 0; i < events.Count; i++)
        {
            var (receivedAt, e) = events[i];
            indices[i * 6] = Index(methods, e.Method);
            indices[i * 6 + 1] = Index(paths, e.Path);
            indices[i * 6 + 2] = Index(routes, e.Route);
            indices[i * 6 + 3] = e.ConsumerId is null ? 0 : Index(consumers, e.ConsumerId) + 1;
            indices[i * 6 + 4] = Index(environments, e.Environment);
            var receivedMicros = EventCursor.ToMicros(receivedAt);
            if (!received.TryGetValue(receivedMicros, out var r)) received[receivedMicros] = r = received.Count;
            indices[i * 6 + 5] = r;
            if (e.Attributes is { } attributes)
            {
                foreach (var (key, value) in attributes)
                {
                    Index(keys, key);
                    Index(values, value);
                }
            }
            thousandths &= AsThousandths(e.LatencyMs, out _);
        }
        foreach (var dictionary in new[] { methods, paths, routes, consumers, environments, keys, values })
        {
            w.VarUInt((ulong)dictionary.Count);
            foreach (var text in dictionary.Keys) w.String(text); // a Dictionary enumerates in insertion order when nothing was removed
        }
        w.VarUInt((ulong)received.Count);
        foreach (var micros in received.Keys) w.VarInt(micros);

        var previous = 0L;
        foreach (var (_, e) in events)
        {
            var micros = EventCursor.ToMicros(e.Timestamp);
            w.VarInt(micros - previous);
            previous = micros;
        }
        for (var column = 0; column < 6; column++)
            for (var i = 0; i < events.Count; i++) w.VarUInt((ulong)indices[i * 6 + column]);
        foreach (var (_, e) in events) w.VarInt(e.StatusCode);

        w.Byte(thousandths ? LatencyThousandths : LatencyRawBits);
        if (thousandths)
        {
            foreach (var (_, e) in events)
            {
                AsThousandths(e.LatencyMs, out var scaled);
                w.VarUInt((ulong)scaled);
            }
        }
        else
        {
            // Byte planes: the sign-exponent bytes of similar latencies are alike and compress; interleaved they do not.
            for (var plane = 7; plane >= 0; plane--)
                foreach (var (_, e) in events) w.Byte((byte)(BitConverter.DoubleToInt64Bits(e.LatencyMs) >> (plane * 8)));
        }

        foreach (var (_, e) in events)
        {
            w.Byte((byte)((e.RequestBytes is null ? 0 : HasRequestBytes) | (e.ResponseBytes is null ? 0 : HasResponseBytes)
                | (e.Attributes is null ? 0 : HasAttributes) | (e.EventId is null ? 0 : HasEventId)));
        }
        foreach (var (_, e) in events) if (e.RequestBytes is { } bytes) w.VarInt(bytes);
        foreach (var (_, e) in events) if (e.ResponseBytes is { } bytes) w.VarInt(bytes);
        foreach (var (_, e) in events) if (e.EventId is { } id) w.String(id);
        foreach (var (_, e) in events)
        {
            if (e.Attributes is not { } attributes) continue;
            w.VarUInt((ulong)attributes.Count);
            foreach (var (key, value) in attributes)
            {
                w.VarUInt((ulong)keys[key]);
                w.VarUInt((ulong)values[value]);
            }
        }
        _compressor ??= new ZstdSharp.Compressor(CompressionLevel);
        return _compressor.Wrap(w.Written).ToArray();
    }

    /// <summary>Decodes a body written by <see cref="Encode"/>; ordinals are positions in the list.</summary>
    public static List<(DateTimeOffset ReceivedAt, ApiEvent Event)> Decode(ReadOnlySpan<byte> body)
    {
        _decompressor ??= new ZstdSharp.Decompressor();
        var r = new ByteReader(_decompressor.Unwrap(body));
        if (r.Byte() != Version) throw new FormatException("Unknown segment version.");
        var count = checked((int)r.VarUInt());
        var methods = r.Strings();
        var paths = r.Strings();
        var routes = r.Strings();
        var consumers = r.Strings();
        var environments = r.Strings();
        var keys = r.Strings();
        var values = r.Strings();
        var received = new DateTimeOffset[checked((int)r.VarUInt())];
        for (var i = 0; i < received.Length; i++) received[i] = EventCursor.FromMicros(r.VarInt());

        var timestamps = new long[count];
        var previous = 0L;
        for (var i = 0; i < count; i++) timestamps[i] = previous += r.VarInt();
        var indices = new int[count * 6];
        for (var column = 0; column < 6; column++)
            for (var i = 0; i < count; i++) indices[i * 6 + column] = checked((int)r.VarUInt());
        var statuses = new int[count];
        for (var i = 0; i < count; i++) statuses[i] = checked((int)r.VarInt());
        var latencies = new double[count];
        switch (r.Byte())
        {
            case LatencyThousandths:
                for (var i = 0; i < count; i++) latencies[i] = (double)(long)r.VarUInt() / 1000.0;
                break;
            case LatencyRawBits:
                var bits = new long[count];
                for (var plane = 7; plane >= 0; plane--)
                    for (var i = 0; i < count; i++) bits[i] |= (long)r.Byte() << (plane * 8);
                for (var i = 0; i < count; i++) latencies[i] = BitConverter.Int64BitsToDouble(bits[i]);
                break;
            default:
                throw new FormatException("Unknown latency encoding.");
        }
        var flags = new byte[count];
        for (var i = 0; i < count; i++) flags[i] = r.Byte();
        var requestBytes = new long?[count];
        for (var i = 0; i < count; i++) if ((flags[i] & HasRequestBytes) != 0) requestBytes[i] = r.VarInt();
        var responseBytes = new long?[count];
        for (var i = 0; i < count; i++) if ((flags[i] & HasResponseBytes) != 0) responseBytes[i] = r.VarInt();
        var eventIds = new string?[count];
        for (var i = 0; i < count; i++) if ((flags[i] & HasEventId) != 0) eventIds[i] = r.String();

        var events = new List<(DateTimeOffset, ApiEvent)>(count);
        for (var i = 0; i < count; i++)
        {
            Dictionary<string, string>? attributes = null;
            if ((flags[i] & HasAttributes) != 0)
            {
                var pairs = checked((int)r.VarUInt());
                attributes = new Dictionary<string, string>(pairs, StringComparer.Ordinal);
                for (var p = 0; p < pairs; p++) attributes[keys[checked((int)r.VarUInt())]] = values[checked((int)r.VarUInt())];
            }
            var consumer = indices[i * 6 + 3];
            events.Add((received[indices[i * 6 + 5]], new ApiEvent(eventIds[i], EventCursor.FromMicros(timestamps[i]), methods[indices[i * 6]],
                paths[indices[i * 6 + 1]], routes[indices[i * 6 + 2]], statuses[i], latencies[i], requestBytes[i], responseBytes[i],
                consumer == 0 ? null : consumers[consumer - 1], environments[indices[i * 6 + 4]], attributes)));
        }
        if (!r.AtEnd) throw new FormatException("Trailing bytes after a segment's events.");
        return events;
    }

    /// <summary>The order a segment stores events in: by timestamp, arrival order among equals.</summary>
    public static List<(DateTimeOffset ReceivedAt, ApiEvent Event)> SortForSegment(IEnumerable<(DateTimeOffset ReceivedAt, ApiEvent Event)> events) =>
        events.OrderBy(e => EventCursor.ToMicros(e.Event.Timestamp)).ToList(); // OrderBy is stable

    private static int Index(Dictionary<string, int> dictionary, string text)
    {
        if (!dictionary.TryGetValue(text, out var index)) dictionary[text] = index = dictionary.Count;
        return index;
    }

    /// <summary>Whether <paramref name="latency"/> is exactly a whole number of thousandths that decodes to the same bits.</summary>
    private static bool AsThousandths(double latency, out long scaled)
    {
        scaled = 0;
        if (!(latency >= 0 && latency < 1e12)) return false; // NaN, negatives (-0.0 included below), huge values
        scaled = (long)Math.Round(latency * 1000.0);
        return BitConverter.DoubleToInt64Bits((double)scaled / 1000.0) == BitConverter.DoubleToInt64Bits(latency);
    }

    private sealed class ByteWriter(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 16)];
        private int _length;

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        public void Byte(byte value)
        {
            Reserve(1);
            _buffer[_length++] = value;
        }

        public void VarUInt(ulong value)
        {
            Reserve(10);
            while (value >= 0x80)
            {
                _buffer[_length++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[_length++] = (byte)value;
        }

        /// <summary>Zigzag, so small negative numbers stay small.</summary>
        public void VarInt(long value) => VarUInt((ulong)((value << 1) ^ (value >> 63)));

        public void String(string text)
        {
            var bytes = Utf8.GetByteCount(text);
            VarUInt((ulong)bytes);
            Reserve(bytes);
            _length += Utf8.GetBytes(text, _buffer.AsSpan(_length));
        }

        private void Reserve(int bytes)
        {
            if (_length + bytes <= _buffer.Length) return;
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
    }

    private ref struct ByteReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public byte Byte() => _position < _data.Length ? _data[_position++] : throw new FormatException("A segment ended early.");

        public ulong VarUInt()
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = Byte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new FormatException("A varint is too long.");
        }

        public long VarInt()
        {
            var raw = VarUInt();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public string String()
        {
            var length = checked((int)VarUInt());
            if (length > _data.Length - _position) throw new FormatException("A segment ended early.");
            var text = Utf8.GetString(_data.Slice(_position, length));
            _position += length;
            return text;
        }

        public string[] Strings()
        {
            var strings = new string[checked((int)VarUInt())];
            for (var i = 0; i < strings.Length; i++) strings[i] = String();
            return strings;
        }
    }
}
