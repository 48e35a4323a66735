using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Npgsql;

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

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name, Pooling = true }.ConnectionString;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
