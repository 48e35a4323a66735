using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Identity;

public sealed record AuditView(long Id, DateTimeOffset At, string ActorType, string? ActorId, string Action, string? TargetType, string? TargetId,
    JsonElement Summary, string? ClientAddress);

/// <summary><c>GET /api/v1/audit</c> (Admin): the tenant's audit trail, newest first, paged by id, filterable by actor and action.</summary>
public sealed class AuditQueries(Database database)
{
    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var q = request.Query;
        var (limit, invalidLimit) = QueryParameters.Int(request, "limit", 50, 1, 200);
        if (invalidLimit is not null) return invalidLimit;
        long? before = null;
        if (q["before"].FirstOrDefault() is { } beforeText)
        {
            if (!long.TryParse(beforeText, out var b) || b < 1) return ApiResults.BadRequest("invalid-before", "before must be an entry id from a previous page.");
            before = b;
        }
        var actor = q["actor"].FirstOrDefault();
        var action = q["action"].FirstOrDefault();
        if (actor is { Length: > 64 } || action is { Length: > 64 }) return ApiResults.BadRequest("invalid-filter", "Filters are at most 64 characters.");

        var items = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, at, actor_type, actor_id, action, target_type, target_id, summary::text, client_address
                FROM audit_log
                WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR actor_id = $3) AND ($4::text IS NULL OR action = $4)
                ORDER BY id DESC LIMIT $5
                """, connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)actor ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)action ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.AddWithValue(limit);
            var entries = new List<AuditView>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                using var summary = JsonDocument.Parse(reader.GetString(7));
                entries.Add(new AuditView(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                    summary.RootElement.Clone(), reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
            return entries;
        }, ct);
        return ApiResults.Ok(new { items, next = items.Count == limit ? items[^1].Id : (long?)null });
    }
}
