using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Tenancy;

/// <summary>
/// Records when each API key was last used, for the key listing. Written at most once a minute per key and off the
/// request path, so ingest latency does not pay for it; a lost write only makes "last used" a minute older.
/// </summary>
public sealed class ApiKeyUsage(Database database, TimeProvider time, ILogger<ApiKeyUsage> logger)
{
    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _lastWritten = new();

    public void Touch(ApiKeyPrincipal key)
    {
        var now = time.GetUtcNow();
        if (_lastWritten.TryGetValue(key.KeyId, out var last) && now - last < Resolution) return;
        _lastWritten[key.KeyId] = now;
        if (_lastWritten.Count > 100_000) _lastWritten.Clear();
        _ = WriteAsync(key, now);
    }

    private async Task WriteAsync(ApiKeyPrincipal key, DateTimeOffset now)
    {
        try
        {
            await database.ForTenantAsync(key.TenantId, async (connection, transaction) =>
            {
                await using var update = new NpgsqlCommand("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2", connection, transaction);
                update.Parameters.AddWithValue(key.TenantId);
                update.Parameters.AddWithValue(key.KeyId);
                update.Parameters.AddWithValue(now);
                await update.ExecuteNonQueryAsync(CancellationToken.None);
            }, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning("Recording the use of key {KeyId} failed: {Error}", key.KeyId, e.Message);
        }
    }
}
