using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Functions.Realtime;

/// <summary>
/// <c>GET /api/v1/events</c>: the tenant's raw events, newest first, filtered by route, method, status code or class
/// (<c>503</c>, <c>5xx</c>), consumer, environment, minimum latency and time range (<c>from</c> inclusive, <c>to</c>
/// exclusive; <c>before</c> is the older name of <c>to</c>), paged with an opaque <c>cursor</c>: <c>{items, next}</c>.
/// </summary>
public sealed class RecentEventsQuery(IEventStore events)
{
    private const int MaxTextLength = 2048;

    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (query, problem) = Parse(request.Query);
        if (problem is not null) return problem;
        var page = await events.QueryAsync(caller.TenantId, query!, ct);
        return ApiResults.Ok(new
        {
            items = page.Items.Select(e => new
            {
                id = e.Id.ToString(CultureInfo.InvariantCulture),
                e.Event.EventId, e.Event.Timestamp, e.Event.Method, e.Event.Path, e.Event.Route, e.Event.StatusCode, e.Event.LatencyMs,
                e.Event.RequestBytes, e.Event.ResponseBytes, e.Event.ConsumerId, e.Event.Environment, e.Event.Attributes, e.ReceivedAt,
            }),
            next = page.Next?.Encode(),
        });
    }

    internal static (EventQuery? Query, IActionResult? Problem) Parse(IQueryCollection q)
    {
        static IActionResult Invalid(string field, string message) =>
            ApiResults.BadRequest($"invalid-{field}", $"{field} {message}", [new FieldError(field, message)]);
        string? Text(string name) => q[name].FirstOrDefault() is { Length: > 0 } text ? text : null;

        var query = new EventQuery();
        if (Text("limit") is { } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > EventQuery.MaxLimit)
                return (null, Invalid("limit", $"must be a whole number from 1 to {EventQuery.MaxLimit}."));
            query = query with { Limit = limit };
        }
        foreach (var name in new[] { "route", "consumerId", "environment" })
        {
            if (Text(name) is { Length: > MaxTextLength }) return (null, Invalid(name, $"must be at most {MaxTextLength} characters."));
        }
        query = query with { Route = Text("route"), ConsumerId = Text("consumerId"), Environment = Text("environment") };
        if (Text("method") is { } methodText)
        {
            if (EventRules.KnownMethod(methodText.AsSpan()) is not { } method) return (null, Invalid("method", EventRules.MethodProblem));
            query = query with { Method = method };
        }
        if (Text("status") is { } status)
        {
            if (status.Length == 3 && status[0] is >= '1' and <= '5' && status[1..].Equals("xx", StringComparison.OrdinalIgnoreCase))
                query = query with { StatusClass = status[0] - '0' };
            else if (int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
                query = query with { StatusCode = code };
            else
                return (null, Invalid("status", "must be a status code from 100 to 599 or a class from 1xx to 5xx."));
        }
        if (Text("minLatencyMs") is { } latencyText)
        {
            if (!double.TryParse(latencyText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var latency) || latency is < 0 or > 3_600_000)
                return (null, Invalid("minLatencyMs", "must be a number of milliseconds from 0 to 3600000."));
            query = query with { MinLatencyMs = latency };
        }
        foreach (var name in new[] { "from", "to", "before" })
        {
            if (Text(name) is not { } timeText) continue;
            if (!EventValidator.TryParseRfc3339(timeText, out var at)) return (null, Invalid(name, "must be an RFC 3339 time."));
            if (name == "from") query = query with { From = at };
            // before= is the older name of to=: both given, the earlier bound holds.
            else if (query.To is not { } to || at < to) query = query with { To = at };
        }
        if (query is { From: { } f, To: { } t } && f >= t) return (null, Invalid("from", "must be earlier than to."));
        if (Text("cursor") is { } cursorText)
        {
            if (!EventCursor.TryDecode(cursorText, out var cursor)) return (null, Invalid("cursor", "is not a cursor this endpoint returned."));
            query = query with { Cursor = cursor };
        }
        return (query, null);
    }
}
