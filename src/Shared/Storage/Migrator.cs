using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PulseStream.Storage;

/// <summary>The owner connection for migrations, and the application role the apps connect as.</summary>
/// <param name="MigrationConnection">A connection as the schema owner; migrations and grants run with it.</param>
/// <param name="AppRole">The login role the apps use: owns nothing, no superuser, no BYPASSRLS. Null: not managed here.</param>
/// <param name="AppRolePassword">Its password, set on every start so a rotated secret takes effect.</param>
public sealed record MigrationSettings(string MigrationConnection, string? AppRole, string? AppRolePassword);

/// <summary>
/// Applies the embedded, numbered SQL migrations in order, each once, in its own transaction, recorded in
/// <c>schema_migrations</c>, then makes sure the application role exists with exactly the rights it needs
/// (DML on the tables, insert-only on the audit log, the narrow functions). An advisory lock keeps several app
/// instances starting at once from racing.
/// </summary>
public sealed class Migrator(MigrationSettings settings, ILogger<Migrator> logger)
{
    private const long LockKey = 0x5075_6C73_6553_7472; // "PulseStr"

    public async Task<int> ApplyAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(settings.MigrationConnection);
        await connection.OpenAsync(ct);
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
            if (settings.AppRole is { Length: > 0 } role) await EnsureAppRoleAsync(connection, role, settings.AppRolePassword, ct);
            return count;
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    /// <summary>Tables the app role may read but never change.</summary>
    internal static readonly string[] AppendOnlyTables = ["audit_log", "audit_log_anonymous"];

    private static async Task EnsureAppRoleAsync(NpgsqlConnection connection, string role, string? password, CancellationToken ct)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(role, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new InvalidOperationException("The application role name must be a lower-case SQL identifier.");
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var exists = false;
        await using (var check = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection, transaction))
        {
            check.Parameters.AddWithValue(role);
            exists = await check.ExecuteScalarAsync(ct) is not null;
        }
        var passwordClause = password is { Length: > 0 } ? $" PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'" : "";
        var statements = new List<string>
        {
            $"{(exists ? "ALTER" : "CREATE")} ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT{passwordClause}",
            $"GRANT USAGE ON SCHEMA public TO {role}",
            $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            $"REVOKE ALL ON schema_migrations FROM {role}",
            $"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC",
            "REVOKE EXECUTE ON ALL PROCEDURES IN SCHEMA public FROM PUBLIC",
            $"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
            $"REVOKE EXECUTE ON PROCEDURE enable_tenant_isolation(regclass, text) FROM {role}",
        };
        statements.AddRange(AppendOnlyTables.Select(t => $"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {role}"));
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
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
