using Azure;
using Azure.Data.Tables;

namespace PulseStream.Tenancy;

/// <summary>What the ingest edge needs to know about a key: its tenant, its id, and the environments it may send (null: all).</summary>
public sealed record ApiKeyPrincipal(Guid TenantId, Guid KeyId, IReadOnlyList<string>? Environments = null);

/// <summary>
/// API-key records for the hot ingest path, in Azure Table storage (Azurite locally), keyed by the SHA-256 of the
/// key. Lookups are cached (<see cref="EdgeCache{TKey, TValue}"/>) so a revoked key stops working within
/// <see cref="CacheTtl"/>.
/// </summary>
public sealed class ApiKeyEdgeStore
{
    public const string TableName = "apikeys";
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(10);

    private readonly TableServiceClient _tables;
    private readonly EdgeCache<string, ApiKeyPrincipal?> _cache;

    public ApiKeyEdgeStore(TableServiceClient tables, TimeProvider time)
    {
        _tables = tables;
        _cache = new EdgeCache<string, ApiKeyPrincipal?>(LoadAsync, CacheTtl, time);
    }

    private TableClient Table => _tables.GetTableClient(TableName);

    public async Task EnsureTableAsync(CancellationToken ct) => await Table.CreateIfNotExistsAsync(ct);

    public async Task SaveAsync(string keyHash, ApiKeyPrincipal principal, CancellationToken ct)
    {
        var entity = new TableEntity(keyHash, "key")
        {
            ["TenantId"] = principal.TenantId.ToString(),
            ["KeyId"] = principal.KeyId.ToString(),
            ["Revoked"] = false,
            ["Scope"] = "ingest",
            ["Environments"] = principal.Environments is { } envs ? string.Join('\n', envs) : null,
        };
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
    }

    public async Task RevokeAsync(string keyHash, CancellationToken ct)
    {
        var entity = new TableEntity(keyHash, "key") { ["Revoked"] = true };
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Merge, ct);
        _cache.Invalidate(keyHash);
    }

    public Task<ApiKeyPrincipal?> FindAsync(string keyHash, CancellationToken ct) => _cache.GetAsync(keyHash, ct);

    private async Task<ApiKeyPrincipal?> LoadAsync(string keyHash, CancellationToken ct)
    {
        ApiKeyPrincipal? principal = null;
        try
        {
            var response = await Table.GetEntityIfExistsAsync<TableEntity>(keyHash, "key", cancellationToken: ct);
            if (response.HasValue && response.Value is { } entity && entity.GetBoolean("Revoked") != true
                && Guid.TryParse(entity.GetString("TenantId"), out var tenantId) && Guid.TryParse(entity.GetString("KeyId"), out var keyId))
                principal = new ApiKeyPrincipal(tenantId, keyId,
                    entity.GetString("Environments") is { Length: > 0 } envs ? envs.Split('\n') : null);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The table does not exist yet: no keys.
        }
        return principal;
    }
}
