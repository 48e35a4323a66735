using NodaTime;
using PulseStream.Alerting.Maintenance;

namespace PulseStream.UnitTests;

public class MaintenanceScheduleTests
{
    private static MaintenanceSchedule Schedule(string rrule, string zone, LocalDateTime start, TimeSpan duration,
        params LocalDateTime[] exceptions)
    {
        Assert.True(MaintenanceRecurrence.TryParse(rrule, out var rule, out var error), error);
        return new MaintenanceSchedule(rule!, start, duration, DateTimeZoneProviders.Tzdb[zone], exceptions);
    }

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    private static List<DateTimeOffset> Starts(MaintenanceSchedule schedule, DateTimeOffset from, DateTimeOffset to) =>
        schedule.Between(from, to, 1000).Select(o => o.Start).ToList();

    [Fact]
    public void A_0230_start_on_Berlins_spring_forward_day_moves_to_0330_summer_time()
    {
        var s = Schedule("FREQ=DAILY", "Europe/Berlin", new LocalDateTime(2027, 3, 27, 2, 30), TimeSpan.FromHours(1));
        Assert.Equal([Utc(2027, 3, 27, 1, 30), Utc(2027, 3, 28, 1, 30), Utc(2027, 3, 29, 0, 30)],
            Starts(s, Utc(2027, 3, 26, 0, 0), Utc(2027, 3, 30, 0, 0)));
    }

    [Fact]
    public void A_0230_start_on_Berlins_fall_back_day_happens_once_at_the_earlier_summer_time_instant()
    {
        var s = Schedule("FREQ=DAILY", "Europe/Berlin", new LocalDateTime(2027, 10, 30, 2, 30), TimeSpan.FromMinutes(30));
        Assert.Equal([Utc(2027, 10, 30, 0, 30), Utc(2027, 10, 31, 0, 30), Utc(2027, 11, 1, 1, 30)],
            Starts(s, Utc(2027, 10, 29, 0, 0), Utc(2027, 11, 2, 0, 0)));
    }

    [Fact]
    public void A_0230_start_on_New_Yorks_spring_forward_day_moves_to_0330_daylight_time()
    {
        var s = Schedule("FREQ=DAILY", "America/New_York", new LocalDateTime(2027, 3, 13, 2, 30), TimeSpan.FromHours(1));
        Assert.Equal([Utc(2027, 3, 13, 7, 30), Utc(2027, 3, 14, 7, 30), Utc(2027, 3, 15, 6, 30)],
            Starts(s, Utc(2027, 3, 13, 0, 0), Utc(2027, 3, 16, 0, 0)));
    }

    [Fact]
    public void A_0130_start_on_New_Yorks_fall_back_day_happens_once_at_the_earlier_daylight_time_instant()
    {
        var s = Schedule("FREQ=DAILY", "America/New_York", new LocalDateTime(2027, 11, 6, 1, 30), TimeSpan.FromMinutes(30));
        Assert.Equal([Utc(2027, 11, 6, 5, 30), Utc(2027, 11, 7, 5, 30), Utc(2027, 11, 8, 6, 30)],
            Starts(s, Utc(2027, 11, 6, 0, 0), Utc(2027, 11, 9, 0, 0)));
    }

    [Fact]
    public void A_duration_is_elapsed_time_even_across_a_clock_change()
    {
        var s = Schedule("FREQ=DAILY", "Europe/Berlin", new LocalDateTime(2027, 3, 28, 1, 0), TimeSpan.FromHours(2));
        var occurrence = s.Covering(Utc(2027, 3, 28, 1, 0));
        Assert.Equal(new MaintenanceOccurrence(Utc(2027, 3, 28, 0, 0), Utc(2027, 3, 28, 2, 0)), occurrence);
    }

    [Fact]
    public void The_first_sunday_of_each_month_at_0200_Berlin_follows_winter_and_summer_offsets()
    {
        var s = Schedule("FREQ=MONTHLY;BYDAY=1SU", "Europe/Berlin", new LocalDateTime(2027, 1, 3, 2, 0), TimeSpan.FromHours(2));
        Assert.Equal([Utc(2027, 1, 3, 1, 0), Utc(2027, 2, 7, 1, 0), Utc(2027, 3, 7, 1, 0), Utc(2027, 4, 4, 0, 0)],
            Starts(s, Utc(2026, 12, 1, 0, 0), Utc(2027, 4, 30, 0, 0)));
    }

    [Fact]
    public void Count_and_until_end_the_series()
    {
        var counted = Schedule("FREQ=WEEKLY;COUNT=3", "Europe/Berlin", new LocalDateTime(2027, 1, 4, 2, 0), TimeSpan.FromHours(1));
        Assert.Equal(3, counted.Between(Utc(2027, 1, 1, 0, 0), Utc(2027, 12, 31, 0, 0), 1000).Count);

        var until = Schedule("FREQ=DAILY;UNTIL=20270106T020000", "Europe/Berlin", new LocalDateTime(2027, 1, 4, 2, 0), TimeSpan.FromHours(1));
        Assert.Equal([Utc(2027, 1, 4, 1, 0), Utc(2027, 1, 5, 1, 0), Utc(2027, 1, 6, 1, 0)],
            Starts(until, Utc(2027, 1, 1, 0, 0), Utc(2027, 2, 1, 0, 0)));
    }

    [Fact]
    public void An_exception_removes_that_one_occurrence()
    {
        var s = Schedule("FREQ=DAILY", "America/New_York", new LocalDateTime(2027, 1, 4, 2, 0), TimeSpan.FromHours(1),
            new LocalDateTime(2027, 1, 5, 2, 0));
        Assert.Equal([Utc(2027, 1, 4, 7, 0), Utc(2027, 1, 6, 7, 0)], Starts(s, Utc(2027, 1, 4, 0, 0), Utc(2027, 1, 7, 0, 0)));
        Assert.Null(s.Covering(Utc(2027, 1, 5, 7, 30)));
    }

    [Fact]
    public void Covering_answers_the_running_occurrence_and_nothing_at_its_end()
    {
        var s = Schedule("FREQ=MONTHLY;BYDAY=1SU", "Europe/Berlin", new LocalDateTime(2027, 1, 3, 2, 0), TimeSpan.FromHours(2));
        Assert.Equal(new MaintenanceOccurrence(Utc(2027, 2, 7, 1, 0), Utc(2027, 2, 7, 3, 0)), s.Covering(Utc(2027, 2, 7, 2, 59)));
        Assert.Null(s.Covering(Utc(2027, 2, 7, 3, 0)));
        Assert.Null(s.Covering(Utc(2027, 2, 7, 0, 59)));
        Assert.Null(s.Covering(Utc(2026, 12, 6, 1, 30)));
    }

    [Fact]
    public void Between_stops_at_the_limit_and_includes_an_occurrence_that_started_before_from()
    {
        var s = Schedule("FREQ=DAILY", "Europe/Berlin", new LocalDateTime(2027, 1, 1, 23, 0), TimeSpan.FromHours(3));
        Assert.Equal(5, s.Between(Utc(2027, 1, 1, 0, 0), Utc(2028, 1, 1, 0, 0), 5).Count);
        Assert.Equal([Utc(2027, 1, 10, 22, 0)], Starts(s, Utc(2027, 1, 11, 0, 0), Utc(2027, 1, 11, 1, 0)));
    }

    [Theory]
    [InlineData("FREQ=HOURLY")]
    [InlineData("FREQ=MINUTELY;INTERVAL=5")]
    [InlineData("FREQ=SECONDLY")]
    [InlineData("FREQ=DAILY;BYHOUR=1,2,3")]
    [InlineData("FREQ=DAILY;COUNT=1001")] // expanded from its first occurrence at every check: COUNT bounds the cost
    [InlineData("not a rule")]
    [InlineData("")]
    public void Rules_that_recur_faster_than_daily_count_past_a_thousand_or_do_not_parse_are_refused(string text)
    {
        Assert.False(MaintenanceRecurrence.TryParse(text, out var rule, out var error));
        Assert.Null(rule);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void A_count_of_up_to_a_thousand_is_accepted()
    {
        Assert.True(MaintenanceRecurrence.TryParse("FREQ=DAILY;COUNT=1000", out var rule, out _));
        Assert.Equal(1000, rule!.Count);
    }

    [Theory]
    [InlineData("FREQ=DAILY")]
    [InlineData("FREQ=DAILY;INTERVAL=3")]
    [InlineData("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE")]
    [InlineData("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA;UNTIL=20300101T000000")]
    [InlineData("FREQ=MONTHLY;BYDAY=1SU")]
    [InlineData("FREQ=MONTHLY;BYDAY=-1FR")]
    [InlineData("FREQ=MONTHLY;BYMONTHDAY=31")]
    [InlineData("FREQ=MONTHLY;INTERVAL=5")]
    [InlineData("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")]
    [InlineData("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")]
    [InlineData("FREQ=YEARLY;INTERVAL=4")]
    public void A_series_started_long_ago_has_the_occurrences_it_would_have_from_its_start_whatever_order_it_is_asked_in(string rrule)
    {
        // Long series are re-seeded at one of their own occurrences so that each query walks days, not decades; the
        // reference walks the whole series from its start (a COUNT that is never reached keeps it from re-seeding).
        foreach (var start in new[] { new LocalDateTime(2001, 1, 31, 2, 30), new LocalDateTime(2010, 3, 28, 2, 30) })
        {
            var zone = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
            var reseeded = Schedule(rrule, "Europe/Berlin", start, TimeSpan.FromHours(2), new LocalDateTime(2029, 12, 31, 2, 30));
            // COUNT and UNTIL exclude each other: the reference for an UNTIL series ends it by hand (at local midnight).
            var until = rrule.Contains("UNTIL=", StringComparison.Ordinal) ? Utc(2029, 12, 31, 23, 0) : DateTimeOffset.MaxValue;
            var whole = new MaintenanceSchedule(new Ical.Net.DataTypes.RecurrencePattern(rrule.Split(";UNTIL=")[0] + ";COUNT=100000"), start, TimeSpan.FromHours(2), zone,
                [new LocalDateTime(2029, 12, 31, 2, 30)]);
            List<DateTimeOffset> Reference(DateTimeOffset from, DateTimeOffset to) => Starts(whole, from, to).Where(t => t < until).ToList();
            MaintenanceOccurrence? Covering(DateTimeOffset at) => whole.Covering(at) is { } o && o.Start < until ? o : null;
            foreach (var (from, to) in new[] { (Utc(2012, 1, 1, 0, 0), Utc(2013, 1, 1, 0, 0)), (Utc(2024, 2, 1, 0, 0), Utc(2024, 4, 1, 0, 0)),
                         (Utc(2029, 6, 1, 0, 0), Utc(2031, 1, 1, 0, 0)), (Utc(2036, 1, 1, 0, 0), Utc(2036, 3, 1, 0, 0)), (Utc(2005, 1, 1, 0, 0), Utc(2005, 6, 1, 0, 0)),
                         (Utc(2036, 2, 1, 0, 0), Utc(2036, 2, 10, 0, 0)) })
                Assert.Equal(Reference(from, to), Starts(reseeded, from, to));
            foreach (var at in new[] { Utc(2024, 3, 1, 2, 0), Utc(2036, 2, 3, 1, 45), Utc(2020, 5, 31, 23, 0), Utc(2040, 1, 1, 1, 0) })
                Assert.Equal(Covering(at), reseeded.Covering(at));
        }
    }
}
