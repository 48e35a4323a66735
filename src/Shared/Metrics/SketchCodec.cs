namespace PulseStream.Metrics;

/// <summary>
/// The stored form of a <see cref="LatencyHistogram"/> (a rollup row's <c>sketch bytea</c>): sparse and binary, so
/// it is small and decodes without parsing text. Layout, all integers LEB128 varints:
/// <c>version (1) · zero count · bucket count n · first index (zig-zag) · count₁ · then n−1 × (gap to the next used
/// index − 1 · count)</c>. A typical API route's sketch holds 50-200 buckets in 100-400 bytes; the bound is 1,101
/// buckets (<see cref="LatencyHistogram"/>).
/// </summary>
public static class SketchCodec
{
    private const byte Version = 1;

    public static byte[] Encode(LatencyHistogram histogram)
    {
        var buckets = histogram.Buckets().ToList();
        var buffer = new byte[1 + 10 + 10 + buckets.Count * 20];
        var at = 0;
        buffer[at++] = Version;
        at += WriteVarint(buffer.AsSpan(at), (ulong)histogram.ZeroCount);
        at += WriteVarint(buffer.AsSpan(at), (ulong)buckets.Count);
        var previous = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            var (index, count) = buckets[i];
            at += i == 0
                ? WriteVarint(buffer.AsSpan(at), (ulong)((index << 1) ^ (index >> 31)))
                : WriteVarint(buffer.AsSpan(at), (ulong)(index - previous - 1));
            at += WriteVarint(buffer.AsSpan(at), (ulong)count);
            previous = index;
        }
        return buffer.AsSpan(0, at).ToArray();
    }

    /// <summary>Decodes a stored sketch; throws <see cref="FormatException"/> on bytes that are not one.</summary>
    public static LatencyHistogram Decode(ReadOnlySpan<byte> bytes)
    {
        var histogram = new LatencyHistogram();
        MergeInto(histogram, bytes);
        return histogram;
    }

    /// <summary>Adds a stored sketch's counts to <paramref name="target"/> without building another histogram.</summary>
    public static void MergeInto(LatencyHistogram target, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes[0] != Version) throw new FormatException("Not a version 1 latency sketch.");
        var at = 1;
        var zeros = ReadCount(bytes, ref at);
        var n = ReadVarint(bytes, ref at);
        if (n > (ulong)(LatencyHistogram.MaxIndex - LatencyHistogram.MinIndex + 1)) throw new FormatException("Too many sketch buckets.");
        var total = zeros;
        var index = 0L;
        for (var i = 0UL; i < n; i++)
        {
            if (i == 0)
            {
                var zigzag = ReadVarint(bytes, ref at);
                index = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
            }
            else index += (long)ReadVarint(bytes, ref at) + 1;
            if (index < LatencyHistogram.MinIndex || index > LatencyHistogram.MaxIndex) throw new FormatException("Sketch bucket out of range.");
            var count = ReadCount(bytes, ref at);
            target.AddToBucket((int)index, count);
            total = Saturating.Add(total, count);
        }
        if (at != bytes.Length) throw new FormatException("Trailing bytes after a latency sketch.");
        target.AddZeros(zeros);
        target.AddToCount(total);
    }

    private static long ReadCount(ReadOnlySpan<byte> bytes, ref int at)
    {
        var value = ReadVarint(bytes, ref at);
        return value > long.MaxValue ? long.MaxValue : (long)value;
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw new FormatException("Truncated latency sketch.");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("Varint too long in a latency sketch.");
    }
}
