using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Notifications;
using PulseStream.Storage;

namespace PulseStream.Tenancy;

public sealed record ProvisionedTenant(Guid TenantId, Guid OwnerId, string OwnerEmail, string ApiKey, Guid ApiKeyId);
public sealed record ProvisionedChannel(Guid ChannelId, string Secret);

/// <summary>Creates tenants with their owner and first API key, and their channels and rules.</summary>
public sealed class TenantProvisioner(Database database, PasswordHasher hasher, ApiKeyEdgeStore edgeKeys, SecretProtector secrets, AlertRuleStore rules)
{
    public async Task<ProvisionedTenant> CreateTenantAsync(string name, string ownerEmail, string ownerPassword, CancellationToken ct)
    {
        var tenantId = Guid.CreateVersion7();
        var ownerId = Guid.CreateVersion7();
        var keyId = Guid.CreateVersion7();
        var apiKey = ApiKeyFormat.Generate();
        var passwordHash = hasher.Hash(ownerPassword);

        // The edge record first: if the database write then fails, the orphan key maps to no tenant data.
        await edgeKeys.EnsureTableAsync(ct);
        await edgeKeys.SaveAsync(ApiKeyFormat.Hash(apiKey), new ApiKeyPrincipal(tenantId, keyId), ct);
        await database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await Execute(connection, transaction, "INSERT INTO tenants (id, name) VALUES ($1, $2)", ct, tenantId, name);
            await LoginEmails.ClaimAsync(connection, transaction, tenantId, ownerId, ownerEmail, ct);
            await Execute(connection, transaction, "INSERT INTO users (tenant_id, id, email, password_hash, role) VALUES ($1, $2, $3, $4, 'owner')",
                ct, tenantId, ownerId, ownerEmail, passwordHash);
            await Execute(connection, transaction, "INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)",
                ct, tenantId, keyId, "Default key", ApiKeyFormat.DisplayPrefix(apiKey), ApiKeyFormat.Hash(apiKey));
        }, ct);
        return new ProvisionedTenant(tenantId, ownerId, ownerEmail, apiKey, keyId);
    }

    public async Task<ProvisionedChannel> CreateWebhookChannelAsync(Guid tenantId, string name, Uri target, CancellationToken ct)
    {
        var channelId = Guid.CreateVersion7();
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await database.ForTenantAsync(tenantId, (connection, transaction) =>
            // As the channels API stores one: the URL encrypted, only its masked form in plain text.
            Execute(connection, transaction, """
                INSERT INTO channels (tenant_id, id, type, name, target, target_protected, secret_protected) VALUES ($1, $2, 'webhook', $3, $4, $5, $6)
                """, ct, tenantId, channelId, name, Notifications.Channels.ChannelMasking.Mask("webhook", target.ToString()), secrets.Protect(target.ToString()), secrets.Protect(secret)), ct);
        return new ProvisionedChannel(channelId, secret);
    }

    public async Task<AlertRule?> CreateRuleAsync(Guid tenantId, AlertRuleBody rule, CancellationToken ct) => (await rules.CreateAsync(tenantId, rule, ct)).Rule;

    /// <summary>
    /// The rule the demo tenant starts with: a 5xx burst on any route fires within a minute, and is told 10 s later
    /// (a short group wait, so a newcomer sees the notification soon, and sees what waits for a group).
    /// </summary>
    public static AlertRuleBody DemoRule(params Guid[] channelIds) => JsonSerializer.Deserialize<AlertRuleBody>($$"""
        {
          "name": "High error rate",
          "enabled": true,
          "severity": "critical",
          "condition": { "type": "threshold", "metric": "error_rate", "operator": ">", "threshold": 0.10,
                         "window": "1m", "minRequests": 20 },
          "for": "30s",
          "groupWait": "10s",
          "channelIds": [{{string.Join(", ", channelIds.Select(id => $"\"{id}\""))}}]
        }
        """, Json.Options)!;

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await command.ExecuteNonQueryAsync(ct);
    }
}
