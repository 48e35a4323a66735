namespace PulseStream.Otlp;

/// <summary>
/// Counts the spans and attributes of a protobuf trace export by walking the wire format, without building anything,
/// so an export that would expand into millions of objects (an empty span is two bytes on the wire and a hundred on
/// the heap, and gzip shrinks a run of them to almost nothing) is refused before it is parsed.
/// </summary>
public static class OtlpWireCounter
{
    private const int LengthDelimited = 2;

    /// <summary>The counts, or a <see cref="FormatException"/> for bytes that are not protobuf.</summary>
    public static (long Spans, long Attributes) Count(ReadOnlySpan<byte> export)
    {
        long spans = 0, attributes = 0;
        var request = new Fields(export);
        while (request.Next(out var field, out var resourceSpans))
        {
            if (field != 1) continue; // ExportTraceServiceRequest.resource_spans
            var rs = new Fields(resourceSpans);
            while (rs.Next(out var rsField, out var value))
            {
                if (rsField == 1) attributes += CountField(value, 1); // Resource.attributes
                if (rsField != 2) continue; // ResourceSpans.scope_spans
                var ss = new Fields(value);
                while (ss.Next(out var ssField, out var span))
                {
                    if (ssField != 2) continue; // ScopeSpans.spans
                    spans++;
                    attributes += CountField(span, 9); // Span.attributes
                }
            }
        }
        return (spans, attributes);
    }

    private static long CountField(ReadOnlySpan<byte> message, int wanted)
    {
        var count = 0L;
        var fields = new Fields(message);
        while (fields.Next(out var field, out _)) if (field == wanted) count++;
        return count;
    }

    /// <summary>The length-delimited fields of one message, in order; other wire types are skipped.</summary>
    private ref struct Fields(ReadOnlySpan<byte> message)
    {
        private readonly ReadOnlySpan<byte> _message = message;
        private int _position;

        public bool Next(out int field, out ReadOnlySpan<byte> value)
        {
            while (_position < _message.Length)
            {
                var tag = ReadVarint(_message, ref _position);
                field = (int)(tag >> 3);
                if (field == 0) throw new FormatException("A protobuf field number is 0.");
                switch ((int)(tag & 7))
                {
                    case 0: ReadVarint(_message, ref _position); break;
                    case 1: Skip(_message, ref _position, 8); break;
                    case 5: Skip(_message, ref _position, 4); break;
                    case LengthDelimited:
                        var length = ReadVarint(_message, ref _position);
                        if (length > (ulong)(_message.Length - _position)) throw new FormatException("A protobuf field runs past the end of the body.");
                        value = _message.Slice(_position, (int)length);
                        _position += (int)length;
                        return true;
                    default: throw new FormatException("The body uses a protobuf wire type OTLP does not.");
                }
            }
            field = 0;
            value = default;
            return false;
        }
    }

    private static void Skip(ReadOnlySpan<byte> message, ref int position, int bytes)
    {
        if (message.Length - position < bytes) throw new FormatException("A protobuf field runs past the end of the body.");
        position += bytes;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= message.Length) throw new FormatException("A protobuf varint runs past the end of the body.");
            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("A protobuf varint is longer than 10 bytes.");
    }
}
