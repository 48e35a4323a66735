using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace PulseStream.Tenancy;

/// <summary>A tenant's ingest limits (CONTRACT.md defaults), kept with the tenant's edge record so an operator can raise
/// one tenant's limits in Table storage without a deploy.</summary>
public sealed record TenantLimits(int EventsPerSecond, int Burst, int MaxBodyBytes, int MaxDecompressedBytes, int MaxBatchEvents, int MaxRoutes = 2000)
{
    public static readonly TenantLimits Default = new(10_000, 20_000, 1024 * 1024, 8 * 1024 * 1024, 1000, 2000);
}

/// <summary>
/// Reads tenant limits from the <c>tenantlimits</c> table (PartitionKey <c>tenant</c>, RowKey = tenant id; any column
/// left out keeps its default), cached for <see cref="CacheTtl"/>.
/// </summary>
public sealed class TenantLimitsStore(TableServiceClient tables, TimeProvider time)
{
    public const string TableName = "tenantlimits";
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<Guid, (TenantLimits Limits, DateTimeOffset Expires)> _cache = new();

    public async Task<TenantLimits> GetAsync(Guid tenantId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(tenantId, out var cached) && cached.Expires > now) return cached.Limits;
        var limits = TenantLimits.Default;
        try
        {
            var response = await tables.GetTableClient(TableName).GetEntityIfExistsAsync<TableEntity>("tenant", tenantId.ToString(), cancellationToken: ct);
            if (response.HasValue && response.Value is { } e)
            {
                var d = TenantLimits.Default;
                limits = new TenantLimits(
                    Positive(e.GetInt32("EventsPerSecond"), d.EventsPerSecond), Positive(e.GetInt32("Burst"), d.Burst),
                    Positive(e.GetInt32("MaxBodyBytes"), d.MaxBodyBytes), Positive(e.GetInt32("MaxDecompressedBytes"), d.MaxDecompressedBytes),
                    Positive(e.GetInt32("MaxBatchEvents"), d.MaxBatchEvents), Positive(e.GetInt32("MaxRoutes"), d.MaxRoutes));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet: every tenant has the defaults.
        }
        if (_cache.Count > 100_000) _cache.Clear();
        _cache[tenantId] = (limits, now + CacheTtl);
        return limits;
    }

    public async Task SaveAsync(Guid tenantId, TenantLimits limits, CancellationToken ct)
    {
        var table = tables.GetTableClient(TableName);
        await table.CreateIfNotExistsAsync(ct);
        await table.UpsertEntityAsync(new TableEntity("tenant", tenantId.ToString())
        {
            ["EventsPerSecond"] = limits.EventsPerSecond, ["Burst"] = limits.Burst, ["MaxBodyBytes"] = limits.MaxBodyBytes,
            ["MaxDecompressedBytes"] = limits.MaxDecompressedBytes, ["MaxBatchEvents"] = limits.MaxBatchEvents, ["MaxRoutes"] = limits.MaxRoutes,
        }, TableUpdateMode.Replace, ct);
        _cache.TryRemove(tenantId, out _);
    }

    private static int Positive(int? value, int fallback) => value is > 0 ? value.Value : fallback;
}
