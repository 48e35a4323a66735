using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PulseStream.Storage;

/// <summary>
/// Applies the embedded, numbered SQL migrations in order, each once, in its own transaction, recorded in
/// <c>schema_migrations</c>. An advisory lock keeps several app instances starting at once from racing.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    private const long LockKey = 0x5075_6C73_6553_7472; // "PulseStr"

    public async Task<int> ApplyAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, "SELECT pg_advisory_lock($1)", ct, LockKey);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, ct);
            var applied = new HashSet<string>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));
            }

            var count = 0;
            foreach (var (version, sql) in EmbeddedMigrations())
            {
                if (applied.Contains(version)) continue;
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using (var apply = new NpgsqlCommand(sql, connection, transaction)) await apply.ExecuteNonQueryAsync(ct);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES ($1)", connection, transaction))
                {
                    record.Parameters.AddWithValue(version);
                    await record.ExecuteNonQueryAsync(ct);
                }
                await transaction.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
                count++;
            }
            return count;
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    internal static IEnumerable<(string Version, string Sql)> EmbeddedMigrations()
    {
        var assembly = typeof(Migrator).Assembly;
        const string prefix = "PulseStream.Migrations.";
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (Path.GetFileNameWithoutExtension(name[prefix.Length..]), reader.ReadToEnd());
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Runs the migrations when an app starts, before it serves anything.</summary>
public sealed class MigrationHostedService(Migrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.ApplyAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
