namespace PulseStream.Events;

/// <summary>
/// A strict RFC 3339 (section 5.6) date-time parser, written out so that what is accepted is a rule of ours rather
/// than a framework's leniency (<see cref="DateTimeOffset.TryParse(string, out DateTimeOffset)"/> takes dates
/// without zones, spaces, and refuses offsets past ±14:00). The rule, as in docs/API.md:
/// <list type="bullet">
/// <item><c>YYYY-MM-DD</c>, then <c>T</c> or <c>t</c>, then <c>HH:MM:SS</c>, an optional fraction <c>.</c> and 1 to 9
/// digits, then <c>Z</c>, <c>z</c> or an offset <c>+HH:MM</c> / <c>-HH:MM</c>; nothing before or after.</item>
/// <item>Year 0001-9999, month 01-12, day within its month (leap years by the Gregorian rule), hour 00-23, minute
/// 00-59, second 00-59; offsets up to ±23:59 (<c>-00:00</c>, "offset unknown", is UTC).</item>
/// <item>A fraction is kept to 100 ns (seven digits); further digits are truncated.</item>
/// <item>Second 60 (a leap second) only when the minute is 59; with no leap-second table it is recorded as the last
/// representable instant of that minute (<c>…:59:59.9999999</c>), so it sorts after every other instant of it.</item>
/// </list>
/// The result is in UTC.
/// </summary>
public static class Rfc3339
{
    /// <summary>The longest text the rule accepts: 19 characters, 10 of fraction, 6 of offset.</summary>
    public const int MaxLength = 35;
    private const int MinLength = 20;

    public static bool TryParse(string text, out DateTimeOffset value) => TryParse(text.AsSpan(), out value);

    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is < MinLength or > MaxLength) return false;
        Span<byte> ascii = stackalloc byte[MaxLength];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F) return false;
            ascii[i] = (byte)text[i];
        }
        return TryParse(ascii[..text.Length], out value);
    }

    /// <summary>Parses UTF-8 (in practice ASCII) text, such as a JSON string's raw bytes, without making a string.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is < MinLength or > MaxLength) return false;
        if (!Digits(text, 0, 4, out var year) || text[4] != '-' || !Digits(text, 5, 2, out var month) || text[7] != '-'
            || !Digits(text, 8, 2, out var day) || text[10] is not ((byte)'T' or (byte)'t')
            || !Digits(text, 11, 2, out var hour) || text[13] != ':' || !Digits(text, 14, 2, out var minute) || text[16] != ':'
            || !Digits(text, 17, 2, out var second))
            return false;

        var at = 19;
        long fractionTicks = 0;
        if (text[at] == '.')
        {
            var start = ++at;
            while (at < text.Length && char.IsAsciiDigit((char)text[at])) at++;
            var digits = at - start;
            if (digits is 0 or > 9) return false;
            for (var i = 0; i < 7; i++) fractionTicks = fractionTicks * 10 + (i < digits ? text[start + i] - '0' : 0);
        }

        if (at >= text.Length) return false;
        int offsetMinutes;
        if (text[at] is (byte)'Z' or (byte)'z')
        {
            if (at + 1 != text.Length) return false;
            offsetMinutes = 0;
        }
        else if (text[at] is (byte)'+' or (byte)'-')
        {
            if (at + 6 != text.Length || !Digits(text, at + 1, 2, out var offsetHours) || text[at + 3] != ':'
                || !Digits(text, at + 4, 2, out var offsetMinute) || offsetHours > 23 || offsetMinute > 59)
                return false;
            offsetMinutes = (offsetHours * 60 + offsetMinute) * (text[at] == '-' ? -1 : 1);
        }
        else return false;

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59) return false;
        var leap = second == 60;
        if (second > 60 || (leap && minute != 59)) return false;

        var ticks = new DateTime(year, month, day, hour, minute, leap ? 59 : second, DateTimeKind.Unspecified).Ticks
            + (leap ? TimeSpan.TicksPerSecond - 1 : fractionTicks)
            - offsetMinutes * TimeSpan.TicksPerMinute;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return false;
        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int number)
    {
        number = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit((char)text[i])) return false;
            number = number * 10 + (text[i] - '0');
        }
        return true;
    }
}
