using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Functions.Realtime;

/// <summary><c>GET /api/v1/events</c>: recent raw events, newest first, with bounded filters.</summary>
public sealed class RecentEventsQuery(IEventStore events)
{
    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var q = request.Query;
        var limit = 100;
        if (q["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, out limit) || limit is < 1 or > 1000))
            return ApiResults.BadRequest("invalid-limit", "limit must be from 1 to 1000.");
        int? status = null;
        if (q["status"].FirstOrDefault() is { } statusText)
        {
            if (!int.TryParse(statusText, out var s) || s is < 100 or > 599) return ApiResults.BadRequest("invalid-status", "status must be from 100 to 599.");
            status = s;
        }
        DateTimeOffset? before = null;
        if (q["before"].FirstOrDefault() is { } beforeText)
        {
            if (!EventValidator.TryParseRfc3339(beforeText, out var b)) return ApiResults.BadRequest("invalid-before", "before must be an RFC 3339 time.");
            before = b;
        }
        var found = await events.QueryAsync(caller.TenantId, new EventQuery(limit, q["route"].FirstOrDefault(), status, q["consumerId"].FirstOrDefault(), before), ct);
        return ApiResults.Ok(new
        {
            items = found.Select(e => new
            {
                e.Event.EventId, e.Event.Timestamp, e.Event.Method, e.Event.Path, e.Event.Route, e.Event.StatusCode, e.Event.LatencyMs,
                e.Event.RequestBytes, e.Event.ResponseBytes, e.Event.ConsumerId, e.Event.Environment, e.Event.Attributes, e.ReceivedAt,
            }),
        });
    }
}
