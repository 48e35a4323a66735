using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Metrics;

namespace PulseStream.Slos;

/// <summary>An SLO as the API answers it: its body, its author and times, and (in lists and reads) its status now.</summary>
public sealed record SloView(Guid Id, string Name, SloFiltersBody Filters, SliBody Sli, double Objective, string Window, PerConsumerBody? PerConsumer,
    Alerting.AlertActor? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, SloStatus? Status)
{
    public static SloView Of(Slo slo, SloStatus? status)
    {
        var body = slo.Spec.Body;
        return new(slo.Id, body.Name!, body.Filters!, body.Sli!, body.Objective!.Value, body.Window!, body.PerConsumer, slo.CreatedBy, slo.CreatedAt, slo.UpdatedAt, status);
    }
}

/// <summary>One consumer under the per-consumer template.</summary>
public sealed record SloConsumerView(string ConsumerId, long Requests, long Bad, double? Attainment, double? BudgetRemainingRatio, bool Breaching);

/// <summary>
/// The SLO routes' application logic, scoped to the caller's tenant: list, read, status, series and per-consumer
/// status (Viewer); create, replace and delete (Admin). Status is computed from the rollups at each read, under the
/// read budget of the dashboard's queries.
/// </summary>
public sealed class SloEndpoints(SloStore store, QueryBudget budget, TimeProvider time)
{
    private const long MaxBodyBytes = 16 * 1024;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var slos = await store.ListAsync(caller.TenantId, ct);
        return await budget.RunAsync(caller.TenantId, async (connection, transaction, within) =>
        {
            var views = new List<SloView>(slos.Count);
            foreach (var slo in slos) views.Add(SloView.Of(slo, await StatusAsync(connection, transaction, caller.TenantId, slo.Spec, within)));
            return ApiResults.Ok(new { items = views });
        }, ct);
    }

    public Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct) =>
        WithSloAsync(caller, id, ct, async (slo, connection, transaction, within) =>
            ApiResults.Ok(SloView.Of(slo, await StatusAsync(connection, transaction, caller.TenantId, slo.Spec, within))));

    /// <summary><c>GET .../{id}/status</c>: <c>{attainment, errorBudget:{total, consumed, remaining, remainingRatio}, burnRate, exhaustsAt, …}</c>.</summary>
    public Task<IActionResult> StatusAsync(Caller caller, string id, CancellationToken ct) =>
        WithSloAsync(caller, id, ct, async (slo, connection, transaction, within) =>
            ApiResults.Ok(await StatusAsync(connection, transaction, caller.TenantId, slo.Spec, within)));

    /// <summary><c>GET .../{id}/series?step=1h|1d</c>: the window's steps with their requests, bad ones and the budget left.</summary>
    public Task<IActionResult> SeriesAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        var stepText = request.Query["step"].FirstOrDefault() ?? "1h";
        if (stepText is not ("1h" or "1d") || !Durations.TryParse(stepText, out var step))
            return Task.FromResult<IActionResult>(ApiResults.BadRequest("invalid-step", "step must be 1h or 1d."));
        return WithSloAsync(caller, id, ct, async (slo, connection, transaction, within) =>
        {
            var (from, to) = RollupRange.Ending(time.GetUtcNow(), slo.Spec.Window);
            var steps = await SloReads.StepsAsync(connection, transaction, caller.TenantId, slo.Spec, from, to, step, within);
            return ApiResults.Ok(new { step = stepText, from, to, points = SloMath.Series(slo.Spec.Objective, steps) });
        });
    }

    /// <summary><c>GET .../{id}/consumers</c>: the template's consumers, the ones with the least budget left first.</summary>
    public Task<IActionResult> ConsumersAsync(Caller caller, string id, CancellationToken ct) =>
        WithSloAsync(caller, id, ct, async (slo, connection, transaction, within) =>
        {
            if (slo.Spec.PerConsumerTop is not { } top)
                return ApiResults.BadRequest("not-per-consumer", "This SLO has no per-consumer template.");
            var (from, to) = RollupRange.Ending(time.GetUtcNow(), slo.Spec.Window);
            var consumers = await SloReads.ConsumersAsync(connection, transaction, caller.TenantId, slo.Spec, from, to, top, within);
            var items = consumers.Select(c =>
                {
                    var s = SloMath.Status(slo.Spec.Objective, slo.Spec.Window, from, to, c.Counts, default, time.GetUtcNow());
                    return new SloConsumerView(c.ConsumerId, s.Requests, s.Bad, s.Attainment, s.ErrorBudget.RemainingRatio, s.Breaching);
                })
                .OrderBy(c => c.BudgetRemainingRatio ?? double.PositiveInfinity).ThenBy(c => c.ConsumerId, StringComparer.Ordinal).ToList();
            return ApiResults.Ok(new { from, to, items, breaching = items.Count(i => i.Breaching) });
        });

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (slo, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return Answer(await WriteAsync(() => store.CreateAsync(caller, slo!, AuditLog.ClientAddress(request), ct)), created: true);
    }

    public async Task<IActionResult> ReplaceAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var sloId) || await store.FindAsync(caller.TenantId, sloId, ct) is null) return NotFound();
        var (slo, failure) = await ReadValidAsync(request, ct);
        if (failure is not null) return failure;
        return Answer(await WriteAsync(() => store.ReplaceAsync(caller, sloId, slo!, AuditLog.ClientAddress(request), ct)), created: false);
    }

    /// <summary><c>DELETE .../{id}</c>: 204, or 409 naming the burn-rate rules that still read the SLO.</summary>
    public async Task<IActionResult> DeleteAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var sloId)) return NotFound();
        var deleted = await store.DeleteAsync(caller, sloId, AuditLog.ClientAddress(request), ct);
        return deleted.Outcome switch
        {
            SloWriteOutcome.Written => ApiResults.NoContent(),
            SloWriteOutcome.InUse => ApiResults.Problem(StatusCodes.Status409Conflict, "slo-in-use", "The SLO is in use.",
                $"Burn-rate rules still read this SLO: {string.Join(", ", deleted.UsedBy!)}. Delete them, or point them at another SLO, first."),
            _ => NotFound(),
        };
    }

    private async Task<SloStatus> StatusAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, ValidSlo slo, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (from, to) = RollupRange.Ending(now, slo.Window);
        var whole = await SloReads.CountsAsync(connection, transaction, tenantId, slo, from, to, null, ct);
        var lastHour = await SloReads.CountsAsync(connection, transaction, tenantId, slo, to - Hour, to, null, ct);
        return SloMath.Status(slo.Objective, slo.Window, from, to, whole, lastHour, now);
    }

    private async Task<IActionResult> WithSloAsync(Caller caller, string id, CancellationToken ct,
        Func<Slo, NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<IActionResult>> work)
    {
        if (!Guid.TryParse(id, out var sloId) || await store.FindAsync(caller.TenantId, sloId, ct) is not { } slo) return NotFound();
        return await budget.RunAsync(caller.TenantId, (connection, transaction, within) => work(slo, connection, transaction, within), ct);
    }

    private static async Task<SloWrite> WriteAsync(Func<Task<SloWrite>> write)
    {
        try
        {
            return await write();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "slos_name_key")
        {
            return new SloWrite(SloWriteOutcome.NameTaken);
        }
    }

    private IActionResult Answer(SloWrite outcome, bool created) => outcome.Outcome switch
    {
        SloWriteOutcome.Written => created ? ApiResults.Created(SloView.Of(outcome.Slo!, null)) : ApiResults.Ok(SloView.Of(outcome.Slo!, null)),
        SloWriteOutcome.NameTaken => ApiResults.Problem(StatusCodes.Status409Conflict, "slo-name-taken", "The name is taken.", "Another SLO of the tenant has this name."),
        SloWriteOutcome.Limit => ApiResults.Problem(StatusCodes.Status409Conflict, "slo-limit", "Too many SLOs.",
            $"The tenant has reached its SLO limit ({SloStore.MaxPerTenant}). Delete an SLO first."),
        _ => NotFound(),
    };

    private static async Task<(ValidSlo? Slo, IActionResult? Failure)> ReadValidAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<SloBody>(request, ct, MaxBodyBytes);
        if (failure is not null) return (null, failure);
        var (slo, errors) = SloValidator.Validate(body);
        return slo is null ? (null, ApiResults.BadRequest("invalid-slo", "The SLO is not valid.", errors)) : (slo, null);
    }

    private static JsonBodyResult NotFound() => ApiResults.NotFound("No such SLO.");
}
