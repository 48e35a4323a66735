using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using PulseStream.Identity;
using PulseStream.Messaging;
using PulseStream.Notifications.Channels;
using PulseStream.Storage;
using PulseStream.Tenancy;

namespace PulseStream.LocalHost.Demo;

/// <summary>What <c>.pulse/demo.json</c> holds (CONTRACT.md): enough for a person or a test to log in and send events.</summary>
public sealed record DemoTenant(string ApiKey, string Email, string Password, Guid TenantId, string BaseUrl, Guid ChannelId, string WebhookSecret);

/// <summary>
/// Prepares the local runtime after migrations: the local event log's partitions, the API-key table, and the demo
/// tenant (owner login, API key, webhook, Slack and e-mail channels to the local sinks, and a rule that fires on an
/// error burst and notifies all three).
/// The demo tenant is made once and reused across runs while its database row exists.
/// </summary>
public sealed class DemoSeeder(LocalHostPaths paths, Database database, LocalEventLog log, IConfiguration configuration, ApiKeyEdgeStore edgeKeys,
    TenantProvisioner provisioner, ChannelStore channels, WebhookSink sink, ILogger<DemoSeeder> logger) : IHostedService
{
    public const string DemoEmail = "demo@pulsestream.local";
    private static readonly JsonSerializerOptions Indented = new(PulseStream.Http.Json.Options) { WriteIndented = true };

    public DemoTenant? Demo { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await log.EnsurePartitionsAsync(configuration[EventHubNames.HubSetting] ?? EventHubNames.DefaultHub, cancellationToken);
        await edgeKeys.EnsureTableAsync(cancellationToken);
        if (configuration.GetValue("Pulse:SeedDemo", true)) Demo = await SeedAsync(cancellationToken);
        if (Demo is not null) sink.Secret = Demo.WebhookSecret;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<DemoTenant> SeedAsync(CancellationToken ct)
    {
        var file = Path.Combine(paths.StateDir, "demo.json");
        if (File.Exists(file))
        {
            var existing = JsonSerializer.Deserialize<DemoTenant>(await File.ReadAllTextAsync(file, ct), PulseStream.Http.Json.Options);
            if (existing is not null && await TenantExistsAsync(existing.TenantId, ct))
            {
                // Azurite's data may have been reset while Postgres kept the tenant: the edge record is rewritten.
                await edgeKeys.SaveAsync(ApiKeyFormat.Hash(existing.ApiKey), new ApiKeyPrincipal(existing.TenantId, await KeyIdAsync(existing, ct)), ct);
                return existing with { BaseUrl = paths.BaseUrl.ToString().TrimEnd('/') };
            }
        }

        var password = "demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var email = await EmailInUseAsync(DemoEmail, ct) ? $"demo+{Guid.NewGuid():N}@pulsestream.local" : DemoEmail;
        var tenant = await provisioner.CreateTenantAsync("Demo Co", email, password, ct);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "Local webhook sink", new Uri(paths.BaseUrl, WebhookSink.Path.TrimStart('/')), ct);
        // The same alert also reaches the local Slack stand-in and, as e-mail, the local SMTP server (read at /local/mail).
        var seeding = new AuditEntry(tenant.TenantId, Actor.System, "channel.create");
        var (slack, _) = await channels.CreateAsync(tenant.TenantId,
            new ChannelBody("slack", "Local Slack sink", new Uri(paths.BaseUrl, FormatSink.Path.TrimStart('/') + "/slack").ToString(), null, null), seeding, ct);
        var (mail, _) = await channels.CreateAsync(tenant.TenantId, new ChannelBody("email", "Demo owner's e-mail", null, null, [email]), seeding, ct);
        await provisioner.CreateRuleAsync(tenant.TenantId, TenantProvisioner.DemoRule(channel.ChannelId, slack!.Id, mail!.Id), ct);
        var demo = new DemoTenant(tenant.ApiKey, email, password, tenant.TenantId, paths.BaseUrl.ToString().TrimEnd('/'), channel.ChannelId, channel.Secret);
        Persist(file, demo);
        logger.LogInformation("Seeded the demo tenant {TenantId}", tenant.TenantId);
        return demo;
    }

    public static void Persist(string file, DemoTenant demo) => LocalSettings.WritePrivate(file, JsonSerializer.Serialize(demo, Indented));

    private async Task<bool> TenantExistsAsync(Guid tenantId, CancellationToken ct)
    {
        return await database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1", connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            return await command.ExecuteScalarAsync(ct) is not null;
        }, ct);
    }

    private async Task<bool> EmailInUseAsync(string email, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT auth_email_taken($1)");
        command.Parameters.AddWithValue(email);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private async Task<Guid> KeyIdAsync(DemoTenant demo, CancellationToken ct)
    {
        return await database.ForTenantAsync(demo.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("SELECT id FROM api_keys WHERE tenant_id = $1 AND key_hash = $2", connection, transaction);
            command.Parameters.AddWithValue(demo.TenantId);
            command.Parameters.AddWithValue(ApiKeyFormat.Hash(demo.ApiKey));
            return await command.ExecuteScalarAsync(ct) is Guid id ? id : Guid.Empty;
        }, ct);
    }
}
