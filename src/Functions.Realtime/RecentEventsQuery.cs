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
        var (limit, invalidLimit) = QueryParameters.Int(request, "limit", 100, 1, 1000);
        if (invalidLimit is not null) return invalidLimit;
        var (statusValue, invalidStatus) = QueryParameters.Int(request, "status", 0, 100, 599);
        if (invalidStatus is not null) return invalidStatus;
        int? status = statusValue == 0 ? null : statusValue;
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
