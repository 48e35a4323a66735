using PulseStream.Alerting.Maintenance;
using PulseStream.Alerting.Routing;

namespace PulseStream.UnitTests;

/// <summary>
/// A window body checked as the routes check it, and rules that parse but never happen: Ical.Net would enumerate
/// such a rule to the year 9999 and then throw, which would turn every read of the tenant's windows (and every
/// muting decision) into an error costing seconds of CPU.
/// </summary>
public class MaintenanceWindowValidatorTests
{
    private static MaintenanceWindowBody Body(string rrule, IReadOnlyList<string>? exceptions = null) => new("Never", rrule, "2027-01-01T02:00:00", "1h", "UTC",
        exceptions, [new AlertMatcherBody("route", "=", "/v1/x")]);

    [Theory]
    [InlineData("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")]
    [InlineData("FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31")]
    [InlineData("FREQ=DAILY;BYMONTH=11;BYMONTHDAY=31")]
    public void A_rule_that_never_happens_is_refused_as_rrule(string rrule)
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body(rrule));
        Assert.Null(window);
        Assert.Contains("never", Assert.Single(errors, e => e.Field == "rrule").Message);
        Assert.Single(errors);
    }

    [Fact]
    public void A_schedule_of_a_rule_that_never_happens_lists_nothing_and_covers_nothing()
    {
        var errors = new Dictionary<string, string>();
        var schedule = MaintenanceWindowFields.Validate("never", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2027-01-01T02:00:00", "1h", "UTC", null, errors)!;
        Assert.Empty(schedule.Between(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.Zero), 1000));
        Assert.Null(schedule.Covering(new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void A_rare_rule_is_accepted_and_happens_on_leap_days()
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"));
        Assert.Empty(errors);
        var items = window!.Schedule.Between(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2033, 1, 1, 0, 0, 0, TimeSpan.Zero), 10);
        Assert.Equal([new DateTimeOffset(2028, 2, 29, 2, 0, 0, TimeSpan.Zero), new DateTimeOffset(2032, 2, 29, 2, 0, 0, TimeSpan.Zero)], items.Select(i => i.Start));
    }

    [Fact]
    public void A_rule_that_happens_once_in_decades_still_happens()
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"));
        Assert.Empty(errors);
        var items = window!.Schedule.Between(new DateTimeOffset(2073, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2113, 1, 1, 0, 0, 0, TimeSpan.Zero), 10);
        Assert.Equal([new DateTimeOffset(2112, 2, 29, 2, 0, 0, TimeSpan.Zero)], items.Select(i => i.Start));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00")]
    [InlineData("1969-12-31T23:59:59")]
    [InlineData("9001-01-01T00:00:00")]
    [InlineData("9999-12-31T23:00:00")]
    public void A_start_near_the_ends_of_time_is_refused_as_start(string start)
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body("FREQ=DAILY") with { Start = start });
        Assert.Null(window);
        Assert.Equal("start", Assert.Single(errors).Field);
    }

    [Fact]
    public void A_window_whose_only_occurrence_is_an_exception_is_refused()
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body("FREQ=DAILY;COUNT=1", ["2027-01-01T02:00:00"]));
        Assert.Null(window);
        Assert.Equal("rrule", Assert.Single(errors).Field);
    }

    [Fact]
    public void Start_and_exceptions_are_read_back_canonical_and_the_duration_in_its_largest_unit()
    {
        var (window, errors) = MaintenanceWindowValidator.Validate(Body("FREQ=WEEKLY;BYDAY=SA", ["2027-01-16T02:00:00", "2027-01-09T02:00:00", "2027-01-16T02:00:00"]) with
        {
            Name = "  Saturday  ", Duration = "1440m",
        });
        Assert.Empty(errors);
        Assert.Equal("Saturday", window!.Name);
        Assert.Equal(["2027-01-09T02:00:00", "2027-01-16T02:00:00"], window.Exceptions.Select(MaintenanceWindowValidator.Format));
        Assert.Equal("1d", MaintenanceWindowValidator.Format(window.Duration));
        Assert.Equal("90m", MaintenanceWindowValidator.Format(TimeSpan.FromMinutes(90)));
        Assert.Equal("2h", MaintenanceWindowValidator.Format(TimeSpan.FromMinutes(120)));
    }
}
