using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// Validates a maintenance window's scheduling fields (name, rrule, start, duration, timeZone, exceptions) field by
/// field and, when all are valid, builds its <see cref="MaintenanceSchedule"/>. Matchers are validated apart, exactly
/// as silences' are (<c>AlertMatcherSet.Create</c>).
/// </summary>
public static partial class MaintenanceWindowFields
{
    /// <summary>Shortest allowed occurrence.</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(1);

    /// <summary>Longest allowed occurrence.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>Most exceptions one window may list.</summary>
    public const int MaxExceptions = 100;

    private static readonly LocalDateTimePattern LocalPattern = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss");

    /// <summary>Validates the fields; <paramref name="errors"/> maps each wrong field to what is wrong with it.</summary>
    public static MaintenanceSchedule? Validate(string? name, string? rrule, string? start, string? duration,
        string? timeZone, IReadOnlyList<string>? exceptions, IDictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
            errors["name"] = "name is required, at most 100 characters.";
        if (!MaintenanceRecurrence.TryParse(rrule, out var rule, out var ruleError))
            errors["rrule"] = ruleError!;
        var localStart = ParseLocal(start);
        if (localStart is null)
            errors["start"] = "start is required: a local date-time yyyy-MM-ddTHH:mm:ss in timeZone, without offset.";
        var length = ParseDuration(duration);
        if (length is null || length < MinDuration || length > MaxDuration)
            errors["duration"] = "duration is required, between 1m and 7d (for example 90m, 2h, 1d).";
        var zone = timeZone is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone);
        if (zone is null)
            errors["timeZone"] = "timeZone must be an IANA time zone id (for example Europe/Berlin).";
        var skipped = new List<LocalDateTime>();
        if (exceptions is { Count: > MaxExceptions })
            errors["exceptions"] = $"exceptions holds at most {MaxExceptions} local date-times.";
        else
            foreach (var text in exceptions ?? [])
            {
                if (ParseLocal(text) is { } local) skipped.Add(local);
                else { errors["exceptions"] = "exceptions are local date-times yyyy-MM-ddTHH:mm:ss (occurrence starts)."; break; }
            }
        return errors.Count == 0 ? new MaintenanceSchedule(rule!, localStart!.Value, length!.Value, zone!, skipped) : null;
    }

    /// <summary>Parses a whole number of minutes, hours or days ("30m", "2h", "1d"); anything else (seconds, spaces) is null.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (text is null) return null;
        var match = DurationText().Match(text);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out var n)) return null;
        return match.Groups[2].Value switch
        {
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
    }

    private static LocalDateTime? ParseLocal(string? text) =>
        text is not null && LocalPattern.Parse(text) is { Success: true } result ? result.Value : null;

    [GeneratedRegex("^([0-9]{1,5})([mhd])$")]
    private static partial Regex DurationText();
}
