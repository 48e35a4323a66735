using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PulseStream.Hosting;
using PulseStream.Notifications;
using PulseStream.Storage;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A tenant with a webhook channel to a receiver, and deliveries enqueued the way an alert transition enqueues them.</summary>
public sealed class DeliveryScenario
{
    public const string Password = "a long password 123";
    private readonly LocalHostProcess _host;
    private readonly Database _database;

    private DeliveryScenario(LocalHostProcess host, ProvisionedTenant tenant, ProvisionedChannel channel)
    {
        _host = host;
        Tenant = tenant;
        Channel = channel;
        _database = new Database(NpgsqlDataSource.Create(host.AppConnectionString));
    }

    public ProvisionedTenant Tenant { get; }
    public ProvisionedChannel Channel { get; }

    public static async Task<DeliveryScenario> CreateAsync(LocalHostProcess host, Uri receiver)
    {
        var provisioner = Provisioning.For(host);
        var tenant = await provisioner.CreateTenantAsync("Delivery Co", $"d-{Guid.NewGuid():N}@example.com", Password, default);
        var channel = await provisioner.CreateWebhookChannelAsync(tenant.TenantId, "loopback receiver", receiver, default);
        return new DeliveryScenario(host, tenant, channel);
    }

    public Task<string> LoginAsync() => _host.LoginAsync(Tenant.OwnerEmail, Password);

    /// <summary>
    /// Enqueues one notification for the channel in a transaction of its own (as an alert transition does) and returns its
    /// delivery id (empty when <paramref name="expectDelivery"/> is false: nothing is read back).
    /// </summary>
    public async Task<(Guid AlertId, Guid DeliveryId)> EnqueueAsync(string eventType = "alert.firing", DateTimeOffset? now = null, bool expectDelivery = true,
        Guid? alertOf = null)
    {
        var alertId = alertOf ?? Guid.CreateVersion7();
        using var alert = JsonDocument.Parse(JsonSerializer.Serialize(new { id = alertId, ruleName = "Checkout errors", state = "firing", severity = "critical" }));
        await _database.ForTenantAsync(Tenant.TenantId, (connection, transaction) =>
            NotificationOutbox.EnqueueAsync(connection, transaction, Tenant.TenantId, [Channel.ChannelId], alertId, eventType, alert.RootElement,
                now ?? DateTimeOffset.UtcNow, default), default);
        if (!expectDelivery) return (alertId, Guid.Empty);
        var deliveryId = await _host.ScalarGuidAsync("SELECT id FROM notification_outbox WHERE tenant_id = $1 AND alert_id = $2 AND event_type = $3",
            Tenant.TenantId, alertId, eventType);
        return (alertId, deliveryId);
    }

    /// <summary>Stores <paramref name="count"/> pending deliveries for the channel at once, each of its own alert, due since <paramref name="dueSince"/>.</summary>
    public Task FloodAsync(int count, DateTimeOffset dueSince) => _host.ExecuteAsync("""
        INSERT INTO notification_outbox (tenant_id, id, channel_id, alert_id, event_type, payload, status, next_attempt_at, created_at)
        SELECT $1, gen_random_uuid(), $2, a.id, 'alert.firing', jsonb_build_object('id', a.id, 'ruleName', 'Flood', 'state', 'firing', 'severity', 'warning'),
               'pending', $3, $3
        FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $4)) a
        """, Tenant.TenantId, Channel.ChannelId, dueSince, count);

    /// <summary>Stores a firing alert of a rule of its own (as the evaluator would), so that its detail and timeline can be read.</summary>
    public async Task<Guid> CreateAlertAsync()
    {
        var (ruleId, alertId) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await _host.ExecuteAsync("INSERT INTO alert_rules (tenant_id, id, name, enabled, severity, definition) VALUES ($1, $2, 'Checkout errors', false, 'critical', '{}')",
            Tenant.TenantId, ruleId);
        await _host.ExecuteAsync("""
            INSERT INTO alerts (tenant_id, id, rule_id, group_key, state, severity, started_at, firing_at, updated_at)
            VALUES ($1, $2, $3, '', 'firing', 'critical', now(), now(), now())
            """, Tenant.TenantId, alertId, ruleId);
        return alertId;
    }

    public Task<string> StateAsync(Guid deliveryId) =>
        _host.ScalarTextAsync("SELECT status FROM notification_outbox WHERE tenant_id = $1 AND id = $2", Tenant.TenantId, deliveryId);
}

/// <summary>
/// A second Alerts instance's dispatcher in the test process, on the host's database with the host's settings (as a
/// scaled-out function app would run one beside the first), with a clock of the test's choosing.
/// </summary>
public sealed class SecondDispatcher : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public SecondDispatcher(LocalHostProcess host, IDictionary<string, string> settings, TimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        var values = settings.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value);
        values["Secrets:ProtectionKey"] = host.ProtectionKey;
        values["Notifications:AllowPrivateNetworkTargets"] = "true";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(NpgsqlDataSource.Create(host.AppConnectionString));
        services.AddSingleton<Database>();
        configure?.Invoke(services);
        services.AddAlerting();
        _services = services.BuildServiceProvider();
    }

    public NotificationDispatcher Dispatcher => _services.GetRequiredService<NotificationDispatcher>();

    /// <summary>Dispatches rounds back to back (a short pause between) until disposed.</summary>
    public void Start() => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Dispatcher.DispatchDueAsync(_stop.Token);
                await Task.Delay(250, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        await _services.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>Single values read as the superuser (test assertions see every tenant).</summary>
public static class HostScalars
{
    public static async Task<object?> ScalarObjectAsync(this LocalHostProcess host, string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public static async Task ExecuteAsync(this LocalHostProcess host, string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<Guid> ScalarGuidAsync(this LocalHostProcess host, string sql, params object[] args) =>
        (Guid)(await host.ScalarObjectAsync(sql, args) ?? throw new InvalidOperationException($"no row: {sql}"));

    public static async Task<string> ScalarTextAsync(this LocalHostProcess host, string sql, params object[] args) =>
        (string)(await host.ScalarObjectAsync(sql, args) ?? throw new InvalidOperationException($"no row: {sql}"));
}
