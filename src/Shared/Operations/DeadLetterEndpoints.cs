using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;

namespace PulseStream.Operations;

/// <summary>The body of <c>POST /api/admin/dead-letters/replay</c>: some ids, or all (from after an id).</summary>
public sealed record ReplayRequest(long[]? Ids, bool? All, long? After);

/// <summary>
/// The operator's view of dead letters (Alerts app, <c>X-Operator-Key</c>): <c>GET /api/admin/dead-letters</c>
/// lists them newest first, paged, without their bytes; <c>POST /api/admin/dead-letters/replay</c> replays at most
/// <see cref="DeadLetterReplayer.MaxPerCall"/> per call and answers what was replayed and what is still dead.
/// </summary>
public sealed class DeadLetterEndpoints(OperatorAuthorizer authorizer, DeadLetterStore store, DeadLetterReplayer replayer)
{
    public Task<IActionResult> ListAsync(HttpRequest request, CancellationToken ct) => authorizer.RunAsync(request, async () =>
    {
        var state = request.Query["state"].FirstOrDefault();
        if (state is "" or "all") state = null;
        if (state is not null && !DeadLetterStore.States.Contains(state))
            return ApiResults.BadRequest("invalid-state", "state must be dead, replayed or all.");
        var (limit, invalidLimit) = QueryParameters.Int(request, "limit", 50, 1, 200);
        if (invalidLimit is not null) return invalidLimit;
        long? before = null;
        if (request.Query["cursor"].FirstOrDefault() is { Length: > 0 } cursor)
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                return ApiResults.BadRequest("invalid-cursor", "cursor must be the next value of a previous page.");
            before = id;
        }
        var items = await store.ListAsync(state, limit, before, ct);
        var next = items.Count == limit ? items[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return ApiResults.Ok(new { items, next, counts = await store.CountsAsync(ct) });
    });

    public Task<IActionResult> ReplayAsync(HttpRequest request, CancellationToken ct) => authorizer.RunAsync(request, async () =>
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<ReplayRequest>(request, ct);
        if (failure is not null) return failure;
        var all = body!.All == true;
        var ids = body.Ids ?? [];
        if (all == ids.Length > 0)
            return ApiResults.BadRequest("invalid-replay", "Send either {\"ids\":[...]} or {\"all\":true}.");
        if (ids.Length > DeadLetterReplayer.MaxPerCall)
            return ApiResults.BadRequest("too-many-ids", $"At most {DeadLetterReplayer.MaxPerCall} ids per call.");
        var report = await replayer.ReplayAsync(all ? null : ids, all ? body.After : null, ct);
        return ApiResults.Ok(report);
    });
}
