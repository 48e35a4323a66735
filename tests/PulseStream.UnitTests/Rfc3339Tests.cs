using System.Globalization;
using System.Text;
using CsCheck;
using PulseStream.Events;

namespace PulseStream.UnitTests;

/// <summary>Each form of the written RFC 3339 rule (docs/API.md), accepted or refused as written.</summary>
public class Rfc3339Tests
{
    private static DateTimeOffset Utc(string roundTrip) => DateTimeOffset.Parse(roundTrip, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    [Theory]
    [InlineData("2026-11-25T11:59:00Z", "2026-11-25T11:59:00.0000000Z")]
    [InlineData("2026-11-25t11:59:00z", "2026-11-25T11:59:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00.5Z", "2026-11-25T11:59:00.5000000Z")]
    [InlineData("2026-11-25T11:59:00.1234567Z", "2026-11-25T11:59:00.1234567Z")]
    [InlineData("2026-11-25T11:59:00.123456789Z", "2026-11-25T11:59:00.1234567Z")]
    [InlineData("2026-11-25T11:59:00.000000001Z", "2026-11-25T11:59:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00+01:00", "2026-11-25T10:59:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00-00:00", "2026-11-25T11:59:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00+14:01", "2026-11-24T21:58:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00+23:59", "2026-11-24T12:00:00.0000000Z")]
    [InlineData("2026-11-25T11:59:00-23:59", "2026-11-26T11:58:00.0000000Z")]
    [InlineData("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.9999999Z")]
    [InlineData("2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.9999999Z")]
    [InlineData("2017-01-01T08:59:60+09:00", "2016-12-31T23:59:59.9999999Z")]
    [InlineData("2026-03-10T14:59:60-05:30", "2026-03-10T20:29:59.9999999Z")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.0000000Z")]
    [InlineData("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.0000000Z")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999Z")]
    public void Every_form_of_the_rule_is_accepted_and_converted_to_UTC(string text, string utc)
    {
        Assert.True(Rfc3339.TryParse(text, out var value));
        Assert.Equal(Utc(utc), value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.True(Rfc3339.TryParse(Encoding.UTF8.GetBytes(text), out var fromBytes));
        Assert.Equal(value, fromBytes);
    }

    [Theory]
    [InlineData("2026-13-01T00:00:00Z")]   // month 13
    [InlineData("2026-00-01T00:00:00Z")]
    [InlineData("2026-04-31T00:00:00Z")]   // 31 April
    [InlineData("2026-02-29T00:00:00Z")]   // not a leap year
    [InlineData("1900-02-29T00:00:00Z")]   // divisible by 100, not by 400
    [InlineData("2026-01-00T00:00:00Z")]
    [InlineData("2026-01-32T00:00:00Z")]
    [InlineData("2026-01-01T24:00:00Z")]   // hour 24
    [InlineData("2026-01-01T23:60:00Z")]
    [InlineData("2026-01-01T23:59:61Z")]
    [InlineData("2026-01-01T23:58:60Z")]   // a leap second only in minute 59
    [InlineData("2026-01-01T00:00:00+24:00")]
    [InlineData("2026-01-01T00:00:00+23:60")]
    [InlineData("2026-01-01T00:00:00.Z")]  // a fraction needs a digit
    [InlineData("2026-01-01T00:00:00.1234567890Z")] // and at most nine
    [InlineData("2026-01-01T00:00:00,5Z")]
    [InlineData("2026-01-01T00:00:00.5.5Z")]
    [InlineData("2026-01-01 00:00:00Z")]   // a space is not 'T'
    [InlineData("2026-01-01T00:00:00")]    // no zone
    [InlineData("2026-01-01T00:00Z")]      // no seconds
    [InlineData("2026-01-01T00:00:00+0100")]
    [InlineData("2026-01-01T00:00:00+01")]
    [InlineData("2026-01-01T00:00:00UTC")]
    [InlineData("2026-01-01T00:00:00ZZ")]
    [InlineData(" 2026-01-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00Z ")]
    [InlineData("+2026-01-01T00:00:00Z")]
    [InlineData("2026-1-01T00:00:00Z")]
    [InlineData("20260101T000000Z")]
    [InlineData("\uFF12026-01-01T00:00:00Z")] // a full-width digit
    [InlineData("0000-01-01T00:00:00Z")]   // year 0 has no DateTime
    [InlineData("0001-01-01T00:00:00+00:01")] // before the first representable instant once in UTC
    [InlineData("9999-12-31T23:59:59-00:01")] // after the last
    [InlineData("")]
    [InlineData("yesterday")]
    public void Everything_else_is_refused(string text)
    {
        Assert.False(Rfc3339.TryParse(text, out _));
        Assert.False(Rfc3339.TryParse(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Within_the_offsets_dotnet_takes_the_parser_agrees_with_it()
    {
        Gen.Select(Gen.Long[DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay], Gen.Int[-14 * 60, 14 * 60], Gen.Int[0, 7])
            .Sample((ticks, offsetMinutes, digits) =>
            {
                var offset = TimeSpan.FromMinutes(offsetMinutes);
                var local = new DateTimeOffset(ticks - ticks % (long)Math.Pow(10, 7 - digits), offset);
                var text = local.ToString("yyyy-MM-dd'T'HH:mm:ss" + (digits > 0 ? "." + new string('f', digits) : "") + "zzz", CultureInfo.InvariantCulture);
                Assert.True(Rfc3339.TryParse(text, out var value), text);
                Assert.Equal(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture), value);
            }, iter: 5_000);
    }

    [Fact]
    public void Bytes_and_text_are_parsed_alike_whatever_they_hold()
    {
        Gen.String[Gen.Char["+-.0123456789:TtZz \u00e9"], 18, 36].Sample(text =>
        {
            var fromText = Rfc3339.TryParse(text, out var a);
            var fromBytes = Rfc3339.TryParse(Encoding.UTF8.GetBytes(text), out var b);
            Assert.Equal(fromText, fromBytes);
            Assert.Equal(a, b);
        }, iter: 5_000);
    }
}
