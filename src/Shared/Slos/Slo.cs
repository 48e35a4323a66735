using PulseStream.Alerting;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Metrics;

namespace PulseStream.Slos;

/// <summary>An SLO as the API reads it (CONTRACT.md, "SLO"), with the per-consumer template as an extension.</summary>
public sealed record SloBody(string? Name, SloFiltersBody? Filters, SliBody? Sli, double? Objective, string? Window, PerConsumerBody? PerConsumer);

public sealed record SloFiltersBody(string? Route = null, string? Method = null, string? ConsumerId = null, string? Environment = null);

/// <summary><c>availability</c>: the share of requests not answered 5xx; <c>latency</c>: the share answered within <c>thresholdMs</c>.</summary>
public sealed record SliBody(string? Type, double? ThresholdMs);

/// <summary>The same objective for every consumer, or for the <c>top</c> consumers by traffic in the window.</summary>
public sealed record PerConsumerBody(int? Top);

/// <summary>An SLO body checked field by field.</summary>
public sealed record ValidSlo(string Name, RollupFilter Filters, string Sli, double? ThresholdMs, double Objective, int WindowDays, int? PerConsumerTop)
{
    public TimeSpan Window => TimeSpan.FromDays(WindowDays);

    /// <summary>The body as the API answers it and the audit log records it.</summary>
    public SloBody Body => new(Name, new SloFiltersBody(Filters.Route, Filters.Method, Filters.ConsumerId, Filters.Environment),
        new SliBody(Sli, ThresholdMs), Objective, $"{WindowDays}d", PerConsumerTop is { } top ? new PerConsumerBody(top) : null);
}

/// <summary>A stored SLO of a tenant.</summary>
public sealed record Slo(Guid Id, ValidSlo Spec, AlertActor? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Checks SLO bodies. The SLI is computed from the rollups, so its filters must be ones a rollup set answers: a route
/// and method (with an environment), or a consumer (with an environment), or an environment alone, or nothing; not a
/// route together with a consumer, and the per-consumer template not with a route.
/// </summary>
public static class SloValidator
{
    public const int MaxNameLength = 200;
    public const int MaxTop = 1000;
    public const double MinObjective = 0.5, MaxObjective = 0.99999;
    public static readonly int[] WindowDays = [7, 28, 30];

    public static (ValidSlo? Slo, List<FieldError> Errors) Validate(SloBody? body)
    {
        if (body is null) return (null, [new("$", "An SLO object is required.")]);
        var errors = new List<FieldError>();
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) errors.Add(new("name", $"Required, 1 to {MaxNameLength} characters."));

        var f = body.Filters ?? new SloFiltersBody();
        string? Text(string field, string? value, int max)
        {
            if (value is null) return null;
            var v = value.Trim();
            if (v.Length == 0 || v.Length > max || v.Contains('\0')) errors.Add(new($"filters.{field}", $"1 to {max} characters when given."));
            return v;
        }
        var route = Text("route", f.Route, EventRules.MaxRouteBytes);
        var method = f.Method is null ? null : EventRules.KnownMethod(f.Method.Trim().AsSpan());
        if (f.Method is not null && method is null) errors.Add(new("filters.method", EventRules.MethodProblem));
        var consumer = Text("consumerId", f.ConsumerId, 128);
        var environment = Text("environment", f.Environment, 32);
        if ((route is not null || method is not null) && consumer is not null)
            errors.Add(new("filters", "A route (or method) and a consumer together: no rollup answers that; use one or the other, or the per-consumer template."));

        string? sli = body.Sli?.Type;
        double? threshold = null;
        if (sli is not ("availability" or "latency")) errors.Add(new("sli.type", "Must be availability or latency."));
        else if (sli == "latency")
        {
            if (body.Sli!.ThresholdMs is not { } t || !(t > 0) || t > LatencyHistogram.MaxTrackable)
                errors.Add(new("sli.thresholdMs", "A latency SLI needs a threshold from 0 to 3,600,000 ms (exclusive of 0)."));
            else threshold = t;
        }
        else if (body.Sli!.ThresholdMs is not null) errors.Add(new("sli.thresholdMs", "Only a latency SLI has a threshold."));

        if (body.Objective is not { } objective || !(objective >= MinObjective) || !(objective <= MaxObjective))
            errors.Add(new("objective", $"A share of good requests from {MinObjective} to {MaxObjective}, like 0.999."));

        var days = body.Window switch { "7d" => 7, "28d" => 28, "30d" => 30, _ => 0 };
        if (days == 0) errors.Add(new("window", "Must be 7d, 28d or 30d."));

        int? top = null;
        if (body.PerConsumer is { } per)
        {
            top = per.Top ?? MaxTop;
            if (top is < 1 or > MaxTop) errors.Add(new("perConsumer.top", $"From 1 to {MaxTop} consumers."));
            if (route is not null || method is not null || consumer is not null)
                errors.Add(new("perConsumer", "The per-consumer template takes an environment filter at most (no rollup crosses routes with consumers)."));
        }
        if (errors.Count > 0) return (null, errors);
        return (new ValidSlo(name!, new RollupFilter(route, method, consumer, environment), sli!, threshold, body.Objective!.Value, days, top), errors);
    }
}
