using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Tenancy;

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Environments);
public sealed record ApiKeyView(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Environments,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// API keys of a tenant (Admin): created with the <c>ingest</c> scope and optional allowed environments, the text shown
/// once; listed by prefix; revoked in Postgres and at the edge (Table storage), where the lookup cache lets a revoked
/// key work for at most <see cref="ApiKeyEdgeStore.CacheTtl"/> more.
/// </summary>
public sealed class ApiKeyService(Database database, ApiKeyEdgeStore edge, TimeProvider time)
{
    public const int MaxKeysPerTenant = 50;

    public async Task<IActionResult> CreateAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<CreateApiKeyRequest>(request, ct);
        if (failure is not null) return failure;
        var errors = new List<FieldError>();
        var name = body!.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) errors.Add(new("name", "Required, at most 100 characters."));
        if (body.Environments is { } envs && (envs.Count is 0 or > 10 || envs.Any(e => string.IsNullOrWhiteSpace(e) || e.Length > 32)))
            errors.Add(new("environments", "1 to 10 environment names of at most 32 characters, or leave it out for all."));
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-api-key", "The API key request is not valid.", errors);

        var key = ApiKeyFormat.Generate();
        var id = Guid.CreateVersion7();
        var environments = body.Environments?.Select(e => e.Trim()).Distinct().ToArray();
        var now = time.GetUtcNow();
        var created = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL", connection, transaction))
            {
                count.Parameters.AddWithValue(caller.TenantId);
                if ((long)(await count.ExecuteScalarAsync(ct))! >= MaxKeysPerTenant) return false;
            }
            await using var insert = new NpgsqlCommand("""
                INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash, created_at, scopes, environments, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, '{ingest}', $7, $8)
                """, connection, transaction);
            insert.Parameters.AddWithValue(caller.TenantId);
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(name!);
            insert.Parameters.AddWithValue(ApiKeyFormat.DisplayPrefix(key));
            insert.Parameters.AddWithValue(ApiKeyFormat.Hash(key));
            insert.Parameters.AddWithValue(now);
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)environments ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.AddWithValue(caller.UserId);
            await insert.ExecuteNonQueryAsync(ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "api_key.create", "api_key", id.ToString(),
                new { name, prefix = ApiKeyFormat.DisplayPrefix(key), environments }, AuditLog.ClientAddress(request)), ct);
            // The edge record last, inside the transaction: if it fails, nothing is committed.
            await edge.SaveAsync(ApiKeyFormat.Hash(key), new ApiKeyPrincipal(caller.TenantId, id, environments), ct);
            return true;
        }, ct);
        if (!created)
            return ApiResults.Problem(StatusCodes.Status409Conflict, "api-key-limit", "Too many API keys.", $"A tenant may have at most {MaxKeysPerTenant} active keys.");
        return ApiResults.Created(new
        {
            id, name, prefix = ApiKeyFormat.DisplayPrefix(key), key, scopes = new[] { "ingest" }, environments, createdAt = now,
        });
    }

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var items = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, name, prefix, scopes, environments, created_at, last_used_at, revoked_at
                FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200
                """, connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            var keys = new List<ApiKeyView>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                keys.Add(new ApiKeyView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<string[]>(4), reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
            }
            return keys;
        }, ct);
        return ApiResults.Ok(new { items });
    }

    public async Task<IActionResult> RevokeAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var keyId)) return ApiResults.NotFound("No such API key.");
        var hash = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var update = new NpgsqlCommand("""
                UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING key_hash, name
                """, connection, transaction);
            update.Parameters.AddWithValue(caller.TenantId);
            update.Parameters.AddWithValue(keyId);
            update.Parameters.AddWithValue(time.GetUtcNow());
            string? keyHash = null, name = null;
            await using (var reader = await update.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct)) (keyHash, name) = (reader.GetString(0), reader.GetString(1));
            }
            if (keyHash is null) return null;
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "api_key.revoke", "api_key", keyId.ToString(),
                new { name }, AuditLog.ClientAddress(request)), ct);
            await edge.RevokeAsync(keyHash, ct);
            return keyHash;
        }, ct);
        return hash is null ? ApiResults.NotFound("No such active API key.") : ApiResults.NoContent();
    }
}
