using PulseStream.Alerting;

namespace PulseStream.UnitTests;

public class AlertCursorTests
{
    [Fact]
    public void A_cursor_comes_back_as_the_position_it_was_made_from_to_the_microsecond()
    {
        var position = new AlertCursor(new DateTimeOffset(2026, 12, 1, 16, 43, 3, TimeSpan.Zero).AddTicks(102_110), Guid.CreateVersion7());
        var text = position.Encode();
        Assert.True(AlertCursor.TryDecode(text, out var decoded));
        Assert.Equal(position, decoded);
        Assert.DoesNotContain('+', text);
        Assert.DoesNotContain('/', text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("not-a-cursor-not-a-cursor-not-a!")]
    [InlineData("________________________________")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Text_that_no_page_answered_is_not_a_cursor(string text) => Assert.False(AlertCursor.TryDecode(text, out _));
}
