using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Events;
using PulseStream.Http;

namespace PulseStream.Metrics;

/// <summary>The query parameters the read API shares: the window and the dimension filters, validated.</summary>
public sealed record MetricsRequest(string WindowText, TimeSpan Window, DateTimeOffset From, DateTimeOffset To, RollupFilter Filter)
{
    private const int MaxFilterLength = EventRules.MaxRouteBytes;
    private static readonly TimeSpan MaxLookBack = TimeSpan.FromDays(400);

    /// <summary>Parses <c>window</c> (one of the contract's), its optional end <c>to</c> and the filters <c>route</c>, <c>method</c>, <c>consumerId</c>,
    /// <c>environment</c> (as far as <paramref name="allowed"/> names them); a 400 naming the parameter otherwise.</summary>
    public static (MetricsRequest? Request, IActionResult? Failure) Parse(HttpRequest request, DateTimeOffset now, string defaultWindow, params string[] allowed)
    {
        var q = request.Query;
        var windowText = q["window"].FirstOrDefault() ?? defaultWindow;
        if (!Durations.Windows.Contains(windowText) || !Durations.TryParse(windowText, out var window))
            return (null, ApiResults.BadRequest("invalid-window", $"window must be one of {string.Join(", ", Durations.Windows)}."));
        var values = new Dictionary<string, string?>();
        foreach (var name in new[] { "route", "method", "consumerId", "environment" })
        {
            var value = q[name].FirstOrDefault();
            if (value is null) continue;
            if (!allowed.Contains(name)) return (null, ApiResults.BadRequest($"invalid-{name}", $"{name} is not a filter of this query."));
            if (value.Length == 0 || value.Length > MaxFilterLength || value.Contains('\0'))
                return (null, ApiResults.BadRequest($"invalid-{name}", $"{name} must be 1 to {MaxFilterLength} characters."));
            values[name] = name == "method" ? value.ToUpperInvariant() : value;
        }
        // `to` pins the window's end (a shared link, or panels that must show the same minutes); by default it is now.
        var end = now;
        if (q["to"].FirstOrDefault() is { } toText)
        {
            if (toText.Length > 64 || !Rfc3339.TryParse(toText, out end) || end > now.AddMinutes(1) || end < now - MaxLookBack)
                return (null, ApiResults.BadRequest("invalid-to", "to must be an RFC 3339 time, not in the future and at most 400 days ago."));
            if (end > now) end = now;
        }
        var (from, to) = RollupRange.Ending(end, window);
        var filter = new RollupFilter(values.GetValueOrDefault("route"), values.GetValueOrDefault("method"),
            values.GetValueOrDefault("consumerId"), values.GetValueOrDefault("environment"));
        return (new MetricsRequest(windowText, window, from, to, filter), null);
    }
}
