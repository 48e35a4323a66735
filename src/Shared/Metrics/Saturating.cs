namespace PulseStream.Metrics;

/// <summary>
/// Sums kept in 64 bits that stop at <see cref="long.MaxValue"/> (or <see cref="long.MinValue"/>) instead of
/// wrapping: a counter that cannot grow any more stays at its ceiling, never turns negative, and never fails the
/// write or the read it is part of. The SQL side has the same rule (<c>saturating_add</c>, <c>clamp_bigint</c>).
/// </summary>
public static class Saturating
{
    public static long Add(long a, long b)
    {
        var sum = unchecked(a + b);
        // Overflow happened when both operands have the same sign and the sum's sign differs.
        if (((a ^ sum) & (b ^ sum)) < 0) return a < 0 ? long.MinValue : long.MaxValue;
        return sum;
    }

    public static long Sum(IEnumerable<long> values)
    {
        var total = 0L;
        foreach (var value in values) total = Add(total, value);
        return total;
    }
}
