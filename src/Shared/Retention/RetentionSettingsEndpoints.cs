using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Retention;

/// <summary>
/// <c>GET /api/v1/settings/retention</c> (Viewer): per tier the days kept, the default, whether the tenant overrode
/// it and what it may set. <c>PUT</c> (Owner): <c>{"rawDays": 7, "auditDays": null, ...}</c> sets the tiers it names
/// (null: back to the default; a tier left out stays as it is), within the bounds, audited with before and after.
/// Takes effect on the next <c>EnforceRetention</c> run, without a deploy.
/// </summary>
public sealed class RetentionSettingsEndpoints(Database database, TenantRetention retention)
{
    private const long MaxBodyBytes = 4 * 1024;

    public async Task<IActionResult> GetAsync(Caller caller, CancellationToken ct)
    {
        var overrides = await database.ForTenantAsync(caller.TenantId,
            (connection, transaction) => TenantRetention.GetOverridesAsync(connection, transaction, caller.TenantId, ct), ct);
        return ApiResults.Ok(Describe(overrides));
    }

    public async Task<IActionResult> PutAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var read = await JsonBodyReader.ReadAsync(request, MaxBodyBytes, ct);
        if (read.Failure is not null) return read.Failure;
        using var document = read.Document!;
        var (changes, failure) = Parse(document.RootElement);
        if (failure is not null) return failure;

        var after = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            // Locks the tenant's row (when there is one) so two concurrent changes each audit what they replaced.
            await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM tenant_retention WHERE tenant_id = $1 FOR UPDATE", connection, transaction))
            {
                lockRow.Parameters.AddWithValue(caller.TenantId);
                await lockRow.ExecuteNonQueryAsync(ct);
            }
            var current = await TenantRetention.GetOverridesAsync(connection, transaction, caller.TenantId, ct);
            var updated = Apply(current, changes!);
            await TenantRetention.SetOverridesAsync(connection, transaction, caller.TenantId, updated, ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "retention.update",
                "tenant", caller.TenantId.ToString(), new { before = Summary(current), after = Summary(updated) }, AuditLog.ClientAddress(request)), ct);
            return updated;
        }, ct);
        return ApiResults.Ok(Describe(after));
    }

    /// <summary>The tiers a body sets (a null value: back to the default), or a 400 naming the first wrong field.</summary>
    internal static (Dictionary<RetentionTier, int?>? Changes, IActionResult? Failure) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return (null, ApiResults.BadRequest("invalid-retention", "The body must be a JSON object.", [new("body", "Must be an object of tier fields.")]));
        var changes = new Dictionary<RetentionTier, int?>();
        foreach (var property in body.EnumerateObject())
        {
            var tier = RetentionBounds.Tiers.Cast<RetentionTier?>().FirstOrDefault(t => RetentionBounds.FieldOf(t!.Value) == property.Name);
            if (tier is not { } known)
                return (null, Invalid(property.Name, $"Unknown field; the fields are {string.Join(", ", RetentionBounds.Tiers.Select(RetentionBounds.FieldOf))}."));
            var bounds = RetentionBounds.For(known);
            if (property.Value.ValueKind == JsonValueKind.Null) { changes[known] = null; continue; }
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var days) || days < bounds.Min || days > bounds.Max)
                return (null, Invalid(property.Name, $"Must be a whole number of days from {bounds.Min} to {bounds.Max}, or null for the default."));
            changes[known] = days;
        }
        return (changes, null);
    }

    private static IActionResult Invalid(string field, string message) =>
        ApiResults.BadRequest("invalid-retention", $"{field}: {message}", [new(field, message)]);

    private static RetentionOverrides Apply(RetentionOverrides current, Dictionary<RetentionTier, int?> changes)
    {
        int? Pick(RetentionTier tier) => changes.TryGetValue(tier, out var value) ? value : current.For(tier);
        return new(Pick(RetentionTier.Raw), Pick(RetentionTier.Minute), Pick(RetentionTier.Hour), Pick(RetentionTier.Day), Pick(RetentionTier.Audit));
    }

    private static Dictionary<string, int?> Summary(RetentionOverrides overrides) =>
        RetentionBounds.Tiers.ToDictionary(RetentionBounds.FieldOf, overrides.For);

    private object Describe(RetentionOverrides overrides)
    {
        var defaults = retention.Defaults;
        return RetentionBounds.Tiers.ToDictionary(t => t.ToString().ToLowerInvariant(), t =>
        {
            var bounds = RetentionBounds.For(t);
            var own = overrides.For(t);
            return new TierSetting(own ?? defaults.For(t), defaults.For(t), own is not null, bounds.Min, bounds.Max);
        });
    }

    /// <summary>One tier as the API shows it.</summary>
    public sealed record TierSetting(int Days, int DefaultDays, bool Overridden, int MinDays, int MaxDays);
}
