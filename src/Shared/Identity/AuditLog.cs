using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Identity;

/// <summary>Who did something: a person, an API key, nobody yet (a failed login), or the system.</summary>
public sealed record Actor(string Type, string? Id)
{
    public static Actor User(Guid userId) => new("user", userId.ToString());
    public static Actor Key(Guid keyId) => new("api_key", keyId.ToString());
    public static readonly Actor Anonymous = new("anonymous", null);
    public static readonly Actor System = new("system", null);
}

/// <summary>One audit entry: tenant, actor, action, target, a summary of the change (never a secret), client address.</summary>
public sealed record AuditEntry(Guid? TenantId, Actor Actor, string Action, string? TargetType = null, string? TargetId = null, object? Summary = null, string? ClientAddress = null);

/// <summary>
/// The append-only audit trail. Entries are written in the same transaction as the change they record; the app
/// role has no UPDATE or DELETE on the table. An entry without a tenant (a failed login with an unknown e-mail) goes to
/// <c>audit_log_anonymous</c>, the operator's table, which no tenant sees: <c>audit_log</c> keys on tenant_id.
/// </summary>
public static class AuditLog
{
    public static async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntry entry, CancellationToken ct)
    {
        if (entry.TenantId is null)
        {
            await AppendAnonymousAsync(connection, transaction, entry, ct);
            return;
        }
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, summary, client_address)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
            """, connection, transaction);
        command.Parameters.AddWithValue(entry.TenantId.Value);
        command.Parameters.AddWithValue(entry.Actor.Type);
        command.Parameters.Add(Text(entry.Actor.Id));
        command.Parameters.AddWithValue(entry.Action);
        command.Parameters.Add(Text(entry.TargetType));
        command.Parameters.Add(Text(entry.TargetId));
        command.Parameters.AddWithValue(JsonSerializer.Serialize(entry.Summary ?? new { }, Http.Json.Options));
        command.Parameters.Add(Text(entry.ClientAddress));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task AppendAnonymousAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntry entry, CancellationToken ct)
    {
        // Only nobody acts without a tenant; anything else without one is a bug, not an entry to hide from the tenant.
        if (entry.Actor != Actor.Anonymous) throw new InvalidOperationException("Only anonymous audit entries may lack a tenant.");
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_log_anonymous (action, target_type, summary, client_address) VALUES ($1, $2, $3::jsonb, $4)
            """, connection, transaction);
        command.Parameters.AddWithValue(entry.Action);
        command.Parameters.Add(Text(entry.TargetType));
        command.Parameters.AddWithValue(JsonSerializer.Serialize(entry.Summary ?? new { }, Http.Json.Options));
        command.Parameters.Add(Text(entry.ClientAddress));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    /// <summary>The caller's address as the server saw it.</summary>
    public static string? ClientAddress(HttpRequest request) => request.HttpContext.Connection.RemoteIpAddress?.ToString();
}
