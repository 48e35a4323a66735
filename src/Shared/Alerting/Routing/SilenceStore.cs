using System.Text.Json;
using Npgsql;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting.Routing;

/// <summary>What creating a silence did: the silence, or null when the tenant already had <paramref name="Limit"/> in force.</summary>
public sealed record SilenceCreation(Silence? Silence, int Limit);

/// <summary>What expiring a silence found: none of the tenant's, one already over, or the silence now expired.</summary>
public enum SilenceExpiry { NotFound, AlreadyExpired, Expired }

/// <summary>A tenant's silences in Postgres, with each change audited in its own transaction.</summary>
public sealed class SilenceStore(Database database, TimeProvider time)
{
    /// <summary>How many silences that have ended are listed, newest end first (those in force are always all listed).</summary>
    public const int ExpiredListed = 100;

    private const string Columns = """
        s.id, s.matchers::text, s.starts_at, s.ends_at, s.comment, s.expire_on_resolve, s.created_by, c.email, s.created_at, s.updated_at, s.expired_by, x.email
        FROM silences s
        LEFT JOIN users c ON c.tenant_id = s.tenant_id AND c.id = s.created_by
        LEFT JOIN users x ON x.tenant_id = s.tenant_id AND x.id = s.expired_by
        """;

    /// <summary>The tenant's silences in force (pending or active), then the last <see cref="ExpiredListed"/> to end.</summary>
    public Task<List<Silence>> ListAsync(Guid tenantId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand($"""
                (SELECT {Columns} WHERE s.tenant_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at, s.id)
                UNION ALL
                (SELECT {Columns} WHERE s.tenant_id = $1 AND s.ends_at <= $2 ORDER BY s.ends_at DESC, s.id LIMIT $3)
                """, connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(time.GetUtcNow());
            command.Parameters.AddWithValue(ExpiredListed);
            return await ReadAsync(command, ct);
        }, ct);

    /// <summary>One silence of the tenant, or null.</summary>
    public async Task<Silence?> FindAsync(Guid tenantId, Guid id, CancellationToken ct) =>
        await database.ForTenantAsync(tenantId, (c, t) => FindAsync(c, t, tenantId, id, ct), ct);

    private static async Task<Silence?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} WHERE s.tenant_id = $1 AND s.id = $2", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(id);
        return (await ReadAsync(command, ct)).SingleOrDefault();
    }

    /// <summary>
    /// The silences of the tenant active at <paramref name="at"/>, for deciding who an alert notifies (read in the
    /// caller's transaction). Their matchers were checked when stored; one that no longer compiles is skipped.
    /// </summary>
    internal static async Task<List<(Silence Silence, AlertMatcherSet Matchers)>> ActiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        DateTimeOffset at, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} WHERE s.tenant_id = $1 AND s.starts_at <= $2 AND s.ends_at > $2", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(at);
        var active = new List<(Silence, AlertMatcherSet)>();
        foreach (var silence in await ReadAsync(command, ct))
            if (AlertMatcherSet.Create(silence.Matchers.ToList()!).Set is { } set) active.Add((silence, set));
        return active;
    }

    /// <summary>
    /// Creates a silence unless the tenant has <paramref name="limit"/> in force. Creates of one tenant are serialised
    /// by a transaction-scoped advisory lock taken before counting (as rule creates are), so two at once cannot both
    /// see room for one more.
    /// </summary>
    public Task<SilenceCreation> CreateAsync(Caller caller, ValidSilence silence, int limit, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            await using (var serialise = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('silences:' || $1::text, 0))", connection, transaction))
            {
                serialise.Parameters.AddWithValue(caller.TenantId.ToString());
                await serialise.ExecuteNonQueryAsync(ct);
            }
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM silences WHERE tenant_id = $1 AND ends_at > $2", connection, transaction))
            {
                count.Parameters.AddWithValue(caller.TenantId);
                count.Parameters.AddWithValue(now);
                if ((long)(await count.ExecuteScalarAsync(ct))! >= limit) return new SilenceCreation(null, limit);
            }
            var id = Guid.CreateVersion7();
            var matchers = JsonSerializer.Serialize(silence.Matchers.Bodies, Json.Options);
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO silences (tenant_id, id, matchers, starts_at, ends_at, comment, expire_on_resolve, created_by, created_at, updated_at)
                VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $9)
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue(caller.TenantId);
                insert.Parameters.AddWithValue(id);
                insert.Parameters.AddWithValue(matchers);
                insert.Parameters.AddWithValue(silence.StartsAt);
                insert.Parameters.AddWithValue(silence.EndsAt);
                insert.Parameters.AddWithValue(silence.Comment);
                insert.Parameters.AddWithValue(silence.ExpireOnResolve);
                insert.Parameters.AddWithValue(caller.UserId);
                insert.Parameters.AddWithValue(now);
                await insert.ExecuteNonQueryAsync(ct);
            }
            var created = (await FindAsync(connection, transaction, caller.TenantId, id, ct))!;
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "silence.create", "silence", id.ToString(),
                new { matchers = silence.Matchers.Bodies, created.StartsAt, created.EndsAt, created.Comment, created.ExpireOnResolve }, clientAddress), ct);
            return new SilenceCreation(created, limit);
        }, ct);

    /// <summary>
    /// Expires a silence now: its end moves to now (to its start, for one that had not started), and who expired it
    /// is kept. The row is locked first, so two expiries at once expire it once and audit it once.
    /// </summary>
    public Task<(SilenceExpiry Outcome, Silence? Silence)> ExpireAsync(Caller caller, Guid id, string? clientAddress, CancellationToken ct) =>
        database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            await using (var update = new NpgsqlCommand("""
                UPDATE silences SET ends_at = GREATEST(starts_at, $3), expired_by = $4, updated_at = $3
                WHERE tenant_id = $1 AND id = $2 AND ends_at > $3
                """, connection, transaction))
            {
                update.Parameters.AddWithValue(caller.TenantId);
                update.Parameters.AddWithValue(id);
                update.Parameters.AddWithValue(now);
                update.Parameters.AddWithValue(caller.UserId);
                if (await update.ExecuteNonQueryAsync(ct) == 0)
                {
                    var existing = await FindAsync(connection, transaction, caller.TenantId, id, ct);
                    return (existing is null ? SilenceExpiry.NotFound : SilenceExpiry.AlreadyExpired, existing);
                }
            }
            var expired = (await FindAsync(connection, transaction, caller.TenantId, id, ct))!;
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "silence.expire", "silence", id.ToString(),
                new { expired.EndsAt }, clientAddress), ct);
            return (SilenceExpiry.Expired, expired);
        }, ct);

    /// <summary>
    /// Expires the silences made with <c>expireOnResolve</c> that match one of <paramref name="resolved"/> (alerts
    /// that resolved in the caller's transaction) and no alert still open: a silence "for this incident" ends with it,
    /// rather than muting the next one. Audited as the system's expiry, naming the alert; the alert's timeline says so.
    /// </summary>
    internal static async Task ExpireOnResolveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<Guid> resolved,
        DateTimeOffset now, CancellationToken ct)
    {
        if (resolved.Count == 0) return;
        var candidates = (await ActiveAsync(connection, transaction, tenantId, now, ct)).Where(s => s.Silence.ExpireOnResolve).ToList();
        if (candidates.Count == 0) return;
        var resolvedLabels = await OpenAlertLabels.ReadAsync(connection, transaction, tenantId, resolved.ToArray(), ct);
        List<(Guid AlertId, AlertLabels Labels)>? open = null;
        foreach (var (silence, matchers) in candidates)
        {
            var ended = resolvedLabels.FirstOrDefault(a => matchers.Matches(a.Labels));
            if (ended.AlertId == Guid.Empty) continue;
            open ??= await OpenAlertLabels.ReadAsync(connection, transaction, tenantId, ct);
            if (open.Any(a => matchers.Matches(a.Labels))) continue;

            await using (var update = new NpgsqlCommand("UPDATE silences SET ends_at = GREATEST(starts_at, $3), updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND ends_at > $3",
                connection, transaction))
            {
                update.Parameters.AddWithValue(tenantId);
                update.Parameters.AddWithValue(silence.Id);
                update.Parameters.AddWithValue(now);
                if (await update.ExecuteNonQueryAsync(ct) == 0) continue;
            }
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(tenantId, Actor.System, "silence.expire", "silence", silence.Id.ToString(),
                new { endsAt = now, reason = "expireOnResolve: the alert it matched resolved", alertId = ended.AlertId }, null), ct);
            await AlertTimeline.AppendAsync(connection, transaction, tenantId, ended.AlertId, now, "muted", "resolved", null, null,
                $"Silence {silence.Id} expired: it was made to end when its alert resolves.", ct);
        }
    }

    private static async Task<List<Silence>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var silences = new List<Silence>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            silences.Add(new Silence(reader.GetGuid(0), JsonSerializer.Deserialize<List<AlertMatcherBody>>(reader.GetString(1), Json.Options)!,
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetBoolean(5),
                AlertQueries.ActorOf(reader, 6)!, reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9), AlertQueries.ActorOf(reader, 10)));
        return silences;
    }
}
