using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Alerting.Maintenance;

/// <summary>
/// The maintenance-window routes' application logic, scoped to the caller's tenant: list, read and list occurrences
/// (Viewer), create, replace and delete (Admin; the author is the caller).
/// </summary>
public sealed class MaintenanceWindowEndpoints(MaintenanceWindowStore store, TimeProvider time)
{
    /// <summary>The longest span one occurrences read may cover.</summary>
    public static readonly TimeSpan MaxOccurrenceRange = TimeSpan.FromDays(366);

    /// <summary>The span an occurrences read covers when <c>to</c> is left out.</summary>
    public static readonly TimeSpan DefaultOccurrenceRange = TimeSpan.FromDays(30);

    /// <summary>At most this many occurrences are listed (a window recurs at most daily, so 366 days hold at most 367).</summary>
    public const int MaxOccurrences = 1000;

    private const long MaxBodyBytes = 64 * 1024;

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return ApiResults.Ok(new { items = (await store.ListAsync(caller.TenantId, ct)).Select(w => MaintenanceWindowView.Of(w, now)) });
    }

    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var windowId) && await store.FindAsync(caller.TenantId, windowId, ct) is { } window
            ? ApiResults.Ok(MaintenanceWindowView.Of(window, time.GetUtcNow()))
            : NotFound();

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (window, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return await AnswerAsync(() => store.CreateAsync(caller, window!, AuditLog.ClientAddress(request), ct), created: true);
    }

    /// <summary><c>PUT .../{id}</c>: the whole body, validated as on create. Not found comes first: another tenant's id says nothing about the body.</summary>
    public async Task<IActionResult> ReplaceAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var windowId) || await store.FindAsync(caller.TenantId, windowId, ct) is null) return NotFound();
        var (window, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return await AnswerAsync(() => store.ReplaceAsync(caller, windowId, window!, AuditLog.ClientAddress(request), ct), created: false);
    }

    public async Task<IActionResult> DeleteAsync(Caller caller, string id, HttpRequest request, CancellationToken ct) =>
        Guid.TryParse(id, out var windowId) && await store.DeleteAsync(caller, windowId, AuditLog.ClientAddress(request), ct)
            ? ApiResults.NoContent()
            : NotFound();

    /// <summary>
    /// <c>GET .../{id}/occurrences?from=&amp;to=</c>: the occurrences overlapping [from, to), in UTC, in start order.
    /// <c>from</c> defaults to now, <c>to</c> to 30 days after <c>from</c>; the span is at most 366 days.
    /// </summary>
    public async Task<IActionResult> OccurrencesAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var windowId) || await store.FindAsync(caller.TenantId, windowId, ct) is not { } window) return NotFound();
        var (from, fromFailure) = Instant(request, "from");
        if (fromFailure is not null) return fromFailure;
        var (to, toFailure) = Instant(request, "to");
        if (toFailure is not null) return toFailure;
        var start = from ?? time.GetUtcNow();
        var end = to ?? start + DefaultOccurrenceRange;
        if (end <= start) return ApiResults.BadRequest("invalid-range", "to must be after from.", [new("to", "Must be after from.")]);
        if (end - start > MaxOccurrenceRange)
            return ApiResults.BadRequest("invalid-range", "from and to may be at most 366 days apart.", [new("to", "At most 366 days after from.")]);
        var occurrences = window.Compile()?.Schedule.Between(start, end, MaxOccurrences) ?? [];
        return ApiResults.Ok(new { items = occurrences });
    }

    private static (DateTimeOffset? Value, IActionResult? Failure) Instant(HttpRequest request, string name)
    {
        if (request.Query[name].FirstOrDefault() is not { } text) return (null, null);
        // Bounded years, so that the expansion's margins cannot overflow DateTimeOffset.
        return Rfc3339.TryParse(text, out var value) && value.UtcDateTime.Year is >= MaintenanceWindowValidator.MinYear and <= MaintenanceWindowValidator.MaxYear
            ? (value.ToUniversalTime(), null)
            : (null, ApiResults.BadRequest($"invalid-{name}", $"{name} must be an RFC 3339 timestamp, like 2027-01-03T00:00:00Z, between the years 1970 and 9000.",
                [new(name, "Must be an RFC 3339 timestamp between the years 1970 and 9000.")]));
    }

    private async Task<IActionResult> AnswerAsync(Func<Task<MaintenanceWrite>> write, bool created)
    {
        MaintenanceWrite outcome;
        try
        {
            outcome = await write();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "maintenance_windows_name_key")
        {
            // Two writes of the same name at once; the index refused the second.
            outcome = new MaintenanceWrite(MaintenanceWriteOutcome.NameTaken);
        }
        return outcome.Outcome switch
        {
            MaintenanceWriteOutcome.Written => created
                ? ApiResults.Created(MaintenanceWindowView.Of(outcome.Window!, time.GetUtcNow()))
                : ApiResults.Ok(MaintenanceWindowView.Of(outcome.Window!, time.GetUtcNow())),
            MaintenanceWriteOutcome.NameTaken => ApiResults.Problem(StatusCodes.Status409Conflict, "maintenance-window-name-taken", "The name is taken.",
                "Another maintenance window of the tenant has this name."),
            MaintenanceWriteOutcome.Limit => ApiResults.Problem(StatusCodes.Status409Conflict, "maintenance-window-limit", "Too many maintenance windows.",
                $"The tenant has reached its maintenance-window limit ({MaintenanceWindowStore.MaxPerTenant}). Delete a window first."),
            _ => NotFound(),
        };
    }

    private static async Task<(ValidMaintenanceWindow? Window, IActionResult? Failure)> ReadValidAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<MaintenanceWindowBody>(request, ct, MaxBodyBytes);
        if (failure is not null) return (null, failure);
        var (window, errors) = MaintenanceWindowValidator.Validate(body);
        return window is null ? (null, ApiResults.BadRequest("invalid-maintenance-window", "The maintenance window is not valid.", errors)) : (window, null);
    }

    private static JsonBodyResult NotFound() => ApiResults.NotFound("No such maintenance window.");
}
