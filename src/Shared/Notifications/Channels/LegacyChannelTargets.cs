using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// At start-up, after the migrations: encrypts the targets of channels written before migration 0017, which kept the
/// URL (a Slack or Teams URL, a webhook URL with a token: credentials) in plain text in <c>target</c>. Each becomes
/// what <see cref="ChannelStore"/> writes today: the masked form in <c>target</c>, the real one encrypted in
/// <c>target_protected</c>. Idempotent: only rows without <c>target_protected</c> are touched, each under a row lock,
/// so instances starting together encrypt each row once.
/// </summary>
public sealed class LegacyChannelTargets(Database database, SecretProtector secrets, ILogger<LegacyChannelTargets> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var legacy = new List<(Guid TenantId, Guid Id)>();
        await using (var find = database.DataSource.CreateCommand("SELECT tenant_id, id FROM channels_with_plain_targets()"))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) legacy.Add((reader.GetGuid(0), reader.GetGuid(1)));
        if (legacy.Count == 0) return;

        var encrypted = 0;
        foreach (var tenant in legacy.GroupBy(c => c.TenantId))
            encrypted += await database.ForTenantAsync(tenant.Key, (connection, transaction) =>
                EncryptAsync(connection, transaction, tenant.Key, tenant.Select(c => c.Id).ToArray(), cancellationToken), cancellationToken);
        logger.LogInformation("Encrypted {Count} channel targets stored in plain text before migration 0017", encrypted);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<int> EncryptAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid[] ids, CancellationToken ct)
    {
        var rows = new List<(Guid Id, string Type, string Target)>();
        await using (var read = new NpgsqlCommand("""
            SELECT id, type, target FROM channels WHERE tenant_id = $1 AND id = ANY($2) AND target_protected IS NULL FOR UPDATE
            """, connection, transaction))
        {
            read.Parameters.AddWithValue(tenantId);
            read.Parameters.AddWithValue(ids);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        }
        foreach (var (id, type, target) in rows)
        {
            await using var update = new NpgsqlCommand(
                "UPDATE channels SET target = $3, target_protected = $4 WHERE tenant_id = $1 AND id = $2 AND target_protected IS NULL", connection, transaction);
            update.Parameters.AddWithValue(tenantId);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(ChannelMasking.Mask(type, target));
            update.Parameters.AddWithValue(secrets.Protect(target));
            await update.ExecuteNonQueryAsync(ct);
        }
        return rows.Count;
    }
}
