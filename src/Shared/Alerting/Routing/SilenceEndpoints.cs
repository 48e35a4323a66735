using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// The silence routes' application logic, scoped to the caller's tenant: list, read, create (the author is the caller),
/// expire, and preview which open alerts a silence body would match.
/// </summary>
public sealed class SilenceEndpoints(SilenceStore silences, Database database, IOptions<SilenceOptions> options, TimeProvider time)
{
    /// <summary>How many matched alerts a preview lists (it counts them all).</summary>
    public const int PreviewLimit = AlertQueries.MaxLimit;

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return ApiResults.Ok(new { items = (await silences.ListAsync(caller.TenantId, ct)).Select(s => ToView(s, now)) });
    }

    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct)
    {
        var silence = Guid.TryParse(id, out var silenceId) ? await silences.FindAsync(caller.TenantId, silenceId, ct) : null;
        return silence is null ? NotFound() : ApiResults.Ok(ToView(silence, time.GetUtcNow()));
    }

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<SilenceBody>(request, ct);
        if (failure is not null) return failure;
        var limits = options.Value;
        var (valid, errors) = SilenceValidator.Validate(body, time.GetUtcNow(), limits);
        if (valid is null) return ApiResults.BadRequest("invalid-silence", "The silence is not valid.", errors);
        var creation = await silences.CreateAsync(caller, valid, limits.MaxPerTenant, AuditLog.ClientAddress(request), ct);
        return creation.Silence is { } created
            ? ApiResults.Created(ToView(created, time.GetUtcNow()))
            : ApiResults.Problem(StatusCodes.Status409Conflict, "silence-limit", "Too many silences.",
                $"The tenant has {creation.Limit} silences pending or active (Silences:MaxPerTenant). Expire one, or wait for one to end.");
    }

    /// <summary><c>DELETE /api/v1/silences/{id}</c>: expires it now (204); it stays listed as expired. One already over: 409.</summary>
    public async Task<IActionResult> ExpireAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var silenceId)) return NotFound();
        var (outcome, _) = await silences.ExpireAsync(caller, silenceId, AuditLog.ClientAddress(request), ct);
        return outcome switch
        {
            SilenceExpiry.NotFound => NotFound(),
            SilenceExpiry.AlreadyExpired => ApiResults.Problem(StatusCodes.Status409Conflict, "silence-expired", "The silence is already over.", "It has expired or ended."),
            _ => ApiResults.NoContent(),
        };
    }

    /// <summary>
    /// <c>POST /api/v1/silences/preview</c>: the open alerts a silence body's matchers match, newest first (at most
    /// <see cref="PreviewLimit"/> listed, <c>matched</c> counts all). Only the matchers are checked: a form previews as
    /// it is filled in, before its times are.
    /// </summary>
    public async Task<IActionResult> PreviewAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<SilenceBody>(request, ct);
        if (failure is not null) return failure;
        var (matchers, errors) = AlertMatcherSet.Create(body?.Matchers);
        if (matchers is null) return ApiResults.BadRequest("invalid-silence", "The matchers are not valid.", errors);
        var (matched, items) = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var ids = (await OpenAlertLabels.ReadAsync(connection, transaction, caller.TenantId, ct)).Where(a => matchers.Matches(a.Labels)).Select(a => a.AlertId).ToArray();
            var views = ids.Length == 0 ? [] : await AlertQueries.ListAsync(connection, transaction, caller.TenantId, new AlertFilter(Ids: ids.Take(PreviewLimit).ToArray()), PreviewLimit, time.GetUtcNow(), ct);
            return (ids.Length, views);
        }, ct);
        return ApiResults.Ok(new { matched, items });
    }

    private static IActionResult NotFound() => ApiResults.NotFound("No such silence.");

    private static object ToView(Silence s, DateTimeOffset now) => new
    {
        s.Id,
        s.Matchers,
        s.StartsAt,
        s.EndsAt,
        s.Comment,
        s.ExpireOnResolve,
        s.CreatedBy,
        s.CreatedAt,
        s.UpdatedAt,
        state = s.StateAt(now),
        // Who expired it early (null unless someone did).
        expiredBy = s.ExpiredBy,
    };
}
