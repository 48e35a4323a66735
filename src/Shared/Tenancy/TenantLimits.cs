using Azure;
using Azure.Data.Tables;

namespace PulseStream.Tenancy;

/// <summary>A tenant's limits (CONTRACT.md defaults for ingest), kept with the tenant's edge record so an operator can
/// raise one tenant's limits in Table storage without a deploy. <see cref="MaxRules"/> bounds the tenant's alert rules,
/// enabled or not.</summary>
public sealed record TenantLimits(int EventsPerSecond, int Burst, int MaxBodyBytes, int MaxDecompressedBytes, int MaxBatchEvents, int MaxRoutes = 2000, int MaxConsumers = 10_000,
    int MaxRules = 500)
{
    public static readonly TenantLimits Default = new(10_000, 20_000, 1024 * 1024, 8 * 1024 * 1024, 1000, 2000, 10_000, 500);
}

/// <summary>
/// Reads tenant limits from the <c>tenantlimits</c> table (PartitionKey <c>tenant</c>, RowKey = tenant id; any column
/// left out keeps its default), cached (<see cref="EdgeCache{TKey, TValue}"/>) for at most <see cref="CacheTtl"/>.
/// </summary>
public sealed class TenantLimitsStore
{
    public const string TableName = "tenantlimits";
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(30);

    private readonly TableServiceClient _tables;
    private readonly EdgeCache<Guid, TenantLimits> _cache;

    public TenantLimitsStore(TableServiceClient tables, TimeProvider time)
    {
        _tables = tables;
        _cache = new EdgeCache<Guid, TenantLimits>(LoadAsync, CacheTtl, time);
    }

    public Task<TenantLimits> GetAsync(Guid tenantId, CancellationToken ct) => _cache.GetAsync(tenantId, ct);

    private async Task<TenantLimits> LoadAsync(Guid tenantId, CancellationToken ct)
    {
        var limits = TenantLimits.Default;
        try
        {
            var response = await _tables.GetTableClient(TableName).GetEntityIfExistsAsync<TableEntity>("tenant", tenantId.ToString(), cancellationToken: ct);
            if (response.HasValue && response.Value is { } e)
            {
                var d = TenantLimits.Default;
                limits = new TenantLimits(
                    Positive(e.GetInt32("EventsPerSecond"), d.EventsPerSecond), Positive(e.GetInt32("Burst"), d.Burst),
                    Positive(e.GetInt32("MaxBodyBytes"), d.MaxBodyBytes), Positive(e.GetInt32("MaxDecompressedBytes"), d.MaxDecompressedBytes),
                    Positive(e.GetInt32("MaxBatchEvents"), d.MaxBatchEvents), Positive(e.GetInt32("MaxRoutes"), d.MaxRoutes),
                    Positive(e.GetInt32("MaxConsumers"), d.MaxConsumers), Positive(e.GetInt32("MaxRules"), d.MaxRules));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet: every tenant has the defaults.
        }
        return limits;
    }

    public async Task SaveAsync(Guid tenantId, TenantLimits limits, CancellationToken ct)
    {
        var table = _tables.GetTableClient(TableName);
        await table.CreateIfNotExistsAsync(ct);
        await table.UpsertEntityAsync(new TableEntity("tenant", tenantId.ToString())
        {
            ["EventsPerSecond"] = limits.EventsPerSecond, ["Burst"] = limits.Burst, ["MaxBodyBytes"] = limits.MaxBodyBytes,
            ["MaxDecompressedBytes"] = limits.MaxDecompressedBytes, ["MaxBatchEvents"] = limits.MaxBatchEvents, ["MaxRoutes"] = limits.MaxRoutes,
            ["MaxConsumers"] = limits.MaxConsumers, ["MaxRules"] = limits.MaxRules,
        }, TableUpdateMode.Replace, ct);
        _cache.Invalidate(tenantId);
    }

    private static int Positive(int? value, int fallback) => value is > 0 ? value.Value : fallback;
}
