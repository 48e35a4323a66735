using System.ComponentModel.DataAnnotations;
using PulseStream.Http;

namespace PulseStream.Alerting.Routing;

/// <summary>A silence as the API reads it (CONTRACT.md, "Silence"); <c>startsAt</c> may be left out (now).</summary>
public sealed record SilenceBody(IReadOnlyList<AlertMatcherBody?>? Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? Comment, bool ExpireOnResolve = false);

/// <summary>
/// A stored silence: pending before it starts, active until it ends, expired after (an early expiry moves its end).
/// <c>CreatedBy</c> is the member who made it; <c>ExpiredBy</c> the one who expired it early, if anyone did.
/// </summary>
public sealed record Silence(Guid Id, IReadOnlyList<AlertMatcherBody> Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Comment, bool ExpireOnResolve,
    AlertActor CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, AlertActor? ExpiredBy)
{
    public string StateAt(DateTimeOffset now) => now < StartsAt ? "pending" : now < EndsAt ? "active" : "expired";
}

/// <summary>Silence limits (section <c>Silences</c>): how long one may last and how many a tenant may have in force.</summary>
public sealed class SilenceOptions
{
    public const string Section = "Silences";

    /// <summary>The longest a silence may last, from its start to its end (default 30 days).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "366.00:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How many silences a tenant may have pending or active at once (expired ones do not count).</summary>
    [Range(1, 100_000)]
    public int MaxPerTenant { get; set; } = 1000;
}

/// <summary>A silence body checked against the contract and the limits: the compiled matchers and the resolved times.</summary>
public sealed record ValidSilence(AlertMatcherSet Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Comment, bool ExpireOnResolve);

/// <summary>Checks silence bodies.</summary>
public static class SilenceValidator
{
    public const int MaxCommentLength = 1000;

    /// <summary>
    /// The valid silence, or the errors. A start in the past (or none) is now, as in Alertmanager: a silence cannot
    /// reach back. The end must be after now and the start, at most <see cref="SilenceOptions.MaxDuration"/> after the start.
    /// </summary>
    public static (ValidSilence? Silence, List<FieldError> Errors) Validate(SilenceBody? body, DateTimeOffset now, SilenceOptions options)
    {
        if (body is null) return (null, [new("$", "A silence object is required.")]);
        var (matchers, errors) = AlertMatcherSet.Create(body.Matchers);
        var startsAt = body.StartsAt is { } s && s > now ? s : now;
        if (body.EndsAt is not { } endsAt) errors.Add(new("endsAt", "Required: an RFC 3339 time."));
        else if (endsAt <= startsAt) errors.Add(new("endsAt", "Must be after startsAt and after now."));
        else if (endsAt - startsAt > options.MaxDuration) errors.Add(new("endsAt", $"A silence may last at most {Describe(options.MaxDuration)} (maxDuration)."));
        if (string.IsNullOrWhiteSpace(body.Comment) || body.Comment.Length > MaxCommentLength)
            errors.Add(new("comment", $"Required (why the silence), at most {MaxCommentLength:N0} characters."));
        return errors.Count > 0 ? (null, errors) : (new ValidSilence(matchers!, startsAt, body.EndsAt!.Value, body.Comment!.Trim(), body.ExpireOnResolve), errors);
    }

    private static string Describe(TimeSpan d) =>
        d.Ticks % TimeSpan.TicksPerDay == 0 ? $"{d.TotalDays:0}d" : d.Ticks % TimeSpan.TicksPerHour == 0 ? $"{d.TotalHours:0}h" : $"{d.TotalMinutes:0}m";
}
