using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using PulseStream.Http;
using PulseStream.Retention;

namespace PulseStream.UnitTests;

public class RetentionLogicTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 10, 30, 0, TimeSpan.Zero);
    private static readonly RetentionDays Defaults = new RetentionOptions().Defaults;

    [Fact]
    public void The_defaults_are_14_days_raw_30_minute_13_months_hour_5_years_day_and_a_year_of_audit()
    {
        Assert.Equal(new RetentionDays(14, 30, 395, 1827, 365), Defaults);
    }

    [Theory]
    [InlineData("events", "events_20260301", true, 2026, 3, 1)]
    [InlineData("event_segments", "event_segments_20251231", true, 2025, 12, 31)]
    [InlineData("events", "event_segments_20260301", false, 0, 0, 0)]
    [InlineData("events", "events_2026031", false, 0, 0, 0)]
    [InlineData("events", "events_20260230", false, 0, 0, 0)]
    [InlineData("events", "events_default", false, 0, 0, 0)]
    [InlineData("events", "events_2026-3-01", false, 0, 0, 0)]
    [InlineData("events", "events_202603011", false, 0, 0, 0)]
    public void Only_a_parents_own_day_partitions_are_recognised_by_name(string parent, string name, bool valid, int year, int month, int day)
    {
        Assert.Equal(valid, DayPartitions.TryParseDay(parent, name, out var parsed));
        if (valid) Assert.Equal(new DateOnly(year, month, day), parsed);
    }

    private static DayPartition Day(int daysAgo)
    {
        var day = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-daysAgo);
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new($"events_{day:yyyyMMdd}", day, from, from.AddDays(1));
    }

    [Fact]
    public void A_partition_is_dropped_only_when_its_whole_day_is_older_than_the_cutoff()
    {
        var partitions = Enumerable.Range(0, 20).Select(Day).ToList();
        var cutoff = RetentionCutoffs.Cutoff(Now, 14); // 2026-03-01 10:30
        var dropped = DayPartitions.WhollyBefore(partitions, cutoff);
        // 03-01 itself holds rows after 10:30 that are inside retention: kept. 02-28 ends at 03-01 00:00: dropped.
        Assert.Equal(Day(15).Name, dropped[^1].Name);
        Assert.Equal(5, dropped.Count); // days 15 to 19 ago
        Assert.All(dropped, p => Assert.True(p.To <= cutoff));
        Assert.DoesNotContain(dropped, p => p.Name == Day(14).Name);
        Assert.Equal(Day(19).Name, dropped[0].Name); // oldest first
    }

    [Fact]
    public void Rows_are_deleted_from_every_partition_that_starts_before_a_tenants_cutoff()
    {
        var partitions = Enumerable.Range(0, 10).Select(Day).ToList();
        var holding = DayPartitions.HoldingRowsBefore(partitions, RetentionCutoffs.Cutoff(Now, 3));
        Assert.Equal([Day(9).Name, Day(8).Name, Day(7).Name, Day(6).Name, Day(5).Name, Day(4).Name, Day(3).Name], holding.Select(p => p.Name));
    }

    [Fact]
    public void The_longest_retention_is_the_default_or_a_longer_override_never_a_shorter_one()
    {
        Assert.Equal(14, RetentionCutoffs.Longest(RetentionTier.Raw, Defaults, []));
        Assert.Equal(14, RetentionCutoffs.Longest(RetentionTier.Raw, Defaults, [new(3, null, null, null, null), RetentionOverrides.None]));
        Assert.Equal(60, RetentionCutoffs.Longest(RetentionTier.Raw, Defaults, [new(3, null, null, null, null), new(60, 1, null, null, null)]));
        Assert.Equal(30, RetentionCutoffs.Longest(RetentionTier.Minute, Defaults, [new(60, 1, null, null, null)]));
    }

    [Fact]
    public void A_tenants_override_replaces_only_the_tiers_it_sets()
    {
        var effective = RetentionDays.Effective(Defaults, new(7, null, null, 100, null));
        Assert.Equal(new RetentionDays(7, 30, 395, 100, 365), effective);
        Assert.Equal(Now.AddDays(-7), RetentionCutoffs.Cutoff(Now, effective.For(RetentionTier.Raw)));
    }

    [Theory]
    [InlineData(nameof(RetentionOptions.RawDays), 0)]
    [InlineData(nameof(RetentionOptions.RawDays), 91)]
    [InlineData(nameof(RetentionOptions.AuditDays), 29)]
    [InlineData(nameof(RetentionOptions.BatchSize), 10_001)]
    public void Settings_out_of_range_fail_validation_naming_the_setting(string property, int value)
    {
        var options = new RetentionOptions();
        typeof(RetentionOptions).GetProperty(property)!.SetValue(options, value);
        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(property, results.Single().MemberNames);
        var defaults = new RetentionOptions();
        Assert.True(Validator.TryValidateObject(defaults, new ValidationContext(defaults), [], validateAllProperties: true));
    }

    [Fact]
    public void An_event_ids_age_shorter_than_the_dedup_window_is_refused()
    {
        var options = new RetentionOptions { EventIdsAge = TimeSpan.FromHours(12) };
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }

    [Theory]
    [InlineData("""{"rawDays": 0}""", "rawDays")]
    [InlineData("""{"minuteDays": 91}""", "minuteDays")]
    [InlineData("""{"hourDays": 801}""", "hourDays")]
    [InlineData("""{"dayDays": 3651}""", "dayDays")]
    [InlineData("""{"auditDays": 29}""", "auditDays")]
    [InlineData("""{"rawDays": 7.5}""", "rawDays")]
    [InlineData("""{"rawDays": "7"}""", "rawDays")]
    [InlineData("""{"rawDays": 7, "retentionDays": 7}""", "retentionDays")]
    public void A_settings_change_out_of_bounds_is_a_400_naming_the_field(string body, string field)
    {
        using var document = JsonDocument.Parse(body);
        var (changes, failure) = RetentionSettingsEndpoints.Parse(document.RootElement);
        Assert.Null(changes);
        var result = Assert.IsType<JsonBodyResult>(failure);
        Assert.Equal(400, result.StatusCode);
        var problem = Assert.IsType<Problem>(result.Body);
        Assert.Equal(field, Assert.Single(problem.Errors!).Field);
        Assert.StartsWith(field, problem.Detail);
    }

    [Fact]
    public void A_settings_change_sets_the_tiers_it_names_and_null_returns_one_to_the_default()
    {
        using var document = JsonDocument.Parse("""{"rawDays": 90, "auditDays": null, "hourDays": 1}""");
        var (changes, failure) = RetentionSettingsEndpoints.Parse(document.RootElement);
        Assert.Null(failure);
        Assert.Equal(new Dictionary<RetentionTier, int?> { [RetentionTier.Raw] = 90, [RetentionTier.Audit] = null, [RetentionTier.Hour] = 1 }, changes);
    }
}
