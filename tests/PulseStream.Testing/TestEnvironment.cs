using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Testing;

/// <summary>
/// What <c>./pulse test</c> starts for the tests: a Postgres superuser connection (<c>PULSE_TEST_POSTGRES</c>,
/// without a database) and Azurite (<c>PULSE_TEST_TABLES</c>). Each fixture makes its own database, so tests run
/// in parallel without cleaning up after each other.
/// </summary>
public static class TestEnvironment
{
    public static string Postgres => Required("PULSE_TEST_POSTGRES");
    public static string Tables => Required("PULSE_TEST_TABLES");
    public static string Chromium => Environment.GetEnvironmentVariable("PULSE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static string RepoRoot => Metadata("RepoRoot");
    public static string Configuration => Metadata("Configuration");

    private static string Metadata(string key) =>
        typeof(TestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./pulse test, which starts Postgres and Azurite for them.");

    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? _migratedTemplate;

    /// <summary>
    /// Creates a fresh database with every migration applied and returns its connection string. The migrations run
    /// once per test process, on a template that each database is copied from (a copy takes a fraction of a second,
    /// the 28 migrations a few seconds), so the hosts that start on it find nothing to apply. What a host does at
    /// every start (the application role and its grants) it still does.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var template = await MigratedTemplateAsync();
        var name = $"{prefix}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {template}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name, Pooling = true }.ConnectionString;
    }

    private static async Task<string> MigratedTemplateAsync()
    {
        await TemplateGate.WaitAsync();
        try
        {
            if (_migratedTemplate is { } existing) return existing;
            var name = $"pulse_template_{Guid.NewGuid():N}"[..40];
            await using (var connection = new NpgsqlConnection(Postgres))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await create.ExecuteNonQueryAsync();
            }
            // Unpooled: a copy needs the template to have no open connection.
            var migration = new NpgsqlConnectionStringBuilder(Postgres) { Database = name, Pooling = false }.ConnectionString;
            await new Migrator(new MigrationSettings(migration, null, null), NullLogger<Migrator>.Instance)
                .ApplyAsync(CancellationToken.None);
            return _migratedTemplate = name;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
