using Ical.Net;
using Ical.Net.DataTypes;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// Parses and bounds a maintenance window's RRULE. Only FREQ=DAILY, WEEKLY, MONTHLY or YEARLY are accepted: a
/// window that recurs every second, minute or hour is not maintenance, and expanding it would be costly.
/// COUNT and UNTIL are optional; INTERVAL and COUNT are at most 1000. A series with COUNT is expanded from its
/// first occurrence at every muting decision (about a microsecond each), so COUNT is what bounds that cost; a longer
/// series is written with UNTIL or without an end.
/// </summary>
public static class MaintenanceRecurrence
{
    /// <summary>The most occurrences a COUNT may ask for.</summary>
    public const int MaxCount = 1000;

    /// <summary>Parses <paramref name="text"/>; returns the pattern or a message saying what is wrong.</summary>
    public static bool TryParse(string? text, out RecurrencePattern? rule, out string? error)
    {
        rule = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 500)
        {
            error = "rrule is required, at most 500 characters (for example FREQ=MONTHLY;BYDAY=1SU).";
            return false;
        }
        var body = text.StartsWith("RRULE:", StringComparison.OrdinalIgnoreCase) ? text[6..] : text;
        try
        {
            rule = new RecurrencePattern(body);
        }
        catch (Exception)
        {
            error = "rrule is not a valid RFC 5545 recurrence rule.";
            return false;
        }
        if (!body.Contains("FREQ=", StringComparison.OrdinalIgnoreCase)
            || rule.Frequency is not (FrequencyType.Daily or FrequencyType.Weekly or FrequencyType.Monthly or FrequencyType.Yearly))
        {
            error = "rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.";
            rule = null;
            return false;
        }
        if (rule.Interval is < 1 or > 1000)
        {
            error = "rrule INTERVAL must be between 1 and 1000.";
            rule = null;
            return false;
        }
        if (rule.Count is { } count && (count < 1 || count > MaxCount))
        {
            error = $"rrule COUNT must be between 1 and {MaxCount}; for a longer series use UNTIL, or no end.";
            rule = null;
            return false;
        }
        if (rule.BySecond.Count > 0 || rule.ByMinute.Count > 0 || rule.ByHour.Count > 0)
        {
            error = "rrule must not use BYHOUR, BYMINUTE or BYSECOND: the window's start gives its time of day.";
            rule = null;
            return false;
        }
        return true;
    }
}
