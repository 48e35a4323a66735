using PulseStream.Alerting.Maintenance;

namespace PulseStream.UnitTests;

public class MaintenanceWindowFieldsTests
{
    [Fact]
    public void Valid_fields_build_a_schedule_whose_first_occurrence_is_the_start()
    {
        var errors = new Dictionary<string, string>();
        var schedule = MaintenanceWindowFields.Validate("patch sunday", "FREQ=MONTHLY;BYDAY=1SU", "2027-01-03T02:00:00", "2h",
            "Europe/Berlin", ["2027-02-07T02:00:00"], errors);
        Assert.Empty(errors);
        var items = schedule!.Between(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 3, 31, 0, 0, 0, TimeSpan.Zero), 10);
        Assert.Equal([new DateTimeOffset(2027, 1, 3, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 3, 7, 1, 0, 0, TimeSpan.Zero)],
            items.Select(i => i.Start));
    }

    [Fact]
    public void Each_wrong_field_is_named()
    {
        var errors = new Dictionary<string, string>();
        var schedule = MaintenanceWindowFields.Validate("", "FREQ=HOURLY", "2027-01-03 02:00", "8d", "Mars/Olympus", ["yesterday"], errors);
        Assert.Null(schedule);
        Assert.Equal(["duration", "exceptions", "name", "rrule", "start", "timeZone"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("1m", 60)]
    [InlineData("2h", 7200)]
    [InlineData("7d", 604800)]
    public void Durations_parse_in_minutes_hours_and_days(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), MaintenanceWindowFields.ParseDuration(text));

    [Theory]
    [InlineData("0m")]
    [InlineData("30s")]
    [InlineData("10081m")]
    [InlineData("2 h")]
    public void Durations_outside_one_minute_to_seven_days_are_refused(string text)
    {
        var errors = new Dictionary<string, string>();
        MaintenanceWindowFields.Validate("w", "FREQ=DAILY", "2027-01-03T02:00:00", text, "UTC", null, errors);
        Assert.Equal(["duration"], errors.Keys);
    }
}
