using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Http;
using PulseStream.Notifications;
using PulseStream.Storage;

namespace PulseStream.Identity;

/// <summary>What presenting a refresh token led to.</summary>
public enum RefreshOutcome { Rotated, Unknown, Expired, Revoked, ReuseDetected }

/// <summary>
/// Refresh tokens (RFC 9700 §4.14.2): opaque, stored only as SHA-256, rotated on every use. Each login starts a
/// family; presenting a token that was already spent revokes its whole family (someone replayed a stolen token),
/// except within the refresh grace (<see cref="AuthOptions.RefreshGraceSeconds"/>) after it was spent: then the pair
/// that spending issued is answered again, so two tabs refreshing at once both stay logged in. Logout revokes the
/// family; removing a user or changing their role revokes all their families.
/// </summary>
public sealed class RefreshTokens(Database database, SecretProtector secrets, IOptions<AuthOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private const string Prefix = "psr_";

    public TimeSpan Grace { get; } = TimeSpan.FromSeconds(options.Value.RefreshGraceSeconds);

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static string NewToken() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Issues a token in <paramref name="familyId"/> (a new family when null), in the caller's tenant transaction.</summary>
    public async Task<string> IssueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, Guid? familyId, CancellationToken ct)
    {
        var token = NewToken();
        await StoreAsync(connection, transaction, tenantId, userId, familyId ?? Guid.CreateVersion7(), token, ct);
        return token;
    }

    /// <summary>Stores a token made with <see cref="NewToken"/> in <paramref name="familyId"/>.</summary>
    public async Task StoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, Guid familyId, string token, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO refresh_tokens (tenant_id, token_hash, family_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction);
        var now = time.GetUtcNow();
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(Hash(token));
        insert.Parameters.AddWithValue(familyId);
        insert.Parameters.AddWithValue(userId);
        insert.Parameters.AddWithValue(now);
        insert.Parameters.AddWithValue(now + Lifetime);
        await insert.ExecuteNonQueryAsync(ct);
    }

    public sealed record Presented(Guid TenantId, Guid FamilyId, Guid UserId, DateTimeOffset ExpiresAt, DateTimeOffset? SpentAt, DateTimeOffset? RevokedAt);

    /// <summary>Finds a presented token (before its tenant is known, through a narrow definer function).</summary>
    public async Task<Presented?> FindAsync(string token, CancellationToken ct)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 100) return null;
        await using var command = database.DataSource.CreateCommand("SELECT * FROM auth_find_refresh_token($1)");
        command.Parameters.AddWithValue(Hash(token));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Presented(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }

    /// <summary>
    /// Marks the token spent and keeps, encrypted, the pair that replaces it, in one UPDATE, unless another request
    /// spent it first. That request holds the row's lock until it commits: this UPDATE waits for it, then finds the
    /// row spent and changes nothing (then see <see cref="GraceSuccessorAsync"/>).
    /// </summary>
    public async Task<bool> SpendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string token, SessionResponse successor, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand("""
            UPDATE refresh_tokens SET spent_at = $3, successor_protected = $4
            WHERE tenant_id = $1 AND token_hash = $2 AND spent_at IS NULL AND revoked_at IS NULL
            """, connection, transaction);
        update.Parameters.AddWithValue(tenantId);
        update.Parameters.AddWithValue(Hash(token));
        update.Parameters.AddWithValue(time.GetUtcNow());
        update.Parameters.AddWithValue(secrets.Protect(JsonSerializer.Serialize(successor, Json.Options)));
        return await update.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// The pair that spending this token issued, if it was spent at most <see cref="Grace"/> ago and its family is
    /// not revoked; null otherwise (a reuse). <c>expiresIn</c> counts down from when the pair was issued.
    /// </summary>
    public async Task<SessionResponse?> GraceSuccessorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string token, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand(
            "SELECT spent_at, successor_protected FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL",
            connection, transaction);
        select.Parameters.AddWithValue(tenantId);
        select.Parameters.AddWithValue(Hash(token));
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(0) || reader.IsDBNull(1)) return null;
        var elapsed = time.GetUtcNow() - reader.GetFieldValue<DateTimeOffset>(0);
        if (elapsed < TimeSpan.Zero || elapsed > Grace) return null;
        var successor = JsonSerializer.Deserialize<SessionResponse>(secrets.Unprotect(reader.GetString(1)), Json.Options)!;
        return successor with { ExpiresIn = Math.Max(1, successor.ExpiresIn - (int)elapsed.TotalSeconds) };
    }

    public Task<int> RevokeFamilyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid familyId, CancellationToken ct) =>
        RevokeAsync(connection, transaction, tenantId, "family_id", familyId, ct);

    public Task<int> RevokeUserAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, CancellationToken ct) =>
        RevokeAsync(connection, transaction, tenantId, "user_id", userId, ct);

    /// <summary>Revokes the tenant's live tokens whose <paramref name="column"/> (a fixed name, never input) is <paramref name="value"/>.</summary>
    private async Task<int> RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string column, Guid value, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            $"UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND {column} = $2 AND revoked_at IS NULL", connection, transaction);
        update.Parameters.AddWithValue(tenantId);
        update.Parameters.AddWithValue(value);
        update.Parameters.AddWithValue(time.GetUtcNow());
        return await update.ExecuteNonQueryAsync(ct);
    }
}
