using System.Net;
using Npgsql;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Row-level security, checked from the catalog and by trying to read across tenants as the app role.</summary>
public class TenantIsolationTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<List<string>> TenantTablesAsync()
    {
        // Make sure at least one day partition of raw events exists (whichever layout), so partitions are checked too.
        using (var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event())))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.ScalarAsync("SELECT count(*) FROM pg_inherits WHERE inhparent IN ('events'::regclass, 'event_segments'::regclass)") > 0, TimeSpan.FromSeconds(20)));

        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            WHERE c.relkind IN ('r', 'p')
              AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                   OR c.relname = 'tenants')
              -- The operator's table: what the store could not hold, whosever it was; only the operator-key routes read it.
              AND c.relname <> 'dead_letters'
            ORDER BY 1
            """, connection);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        return tables;
    }

    [Fact]
    public async Task Every_tenant_table_has_row_level_security_enabled_and_forced_and_the_app_role_cannot_bypass_it()
    {
        var tables = await TenantTablesAsync();
        Assert.Contains("events", tables);
        Assert.Contains("event_segments", tables);
        Assert.Contains(tables, t => t.StartsWith("events_", StringComparison.Ordinal) || t.StartsWith("event_segments_", StringComparison.Ordinal));
        Assert.Contains("audit_log", tables);
        foreach (var table in tables)
        {
            Assert.True(await Host.ScalarAsync("SELECT count(*) FROM pg_class WHERE relname = $1 AND relrowsecurity AND relforcerowsecurity", table) == 1,
                $"{table} lacks enabled and forced row-level security");
        }

        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM pg_roles WHERE rolname = $1 AND NOT rolsuper AND NOT rolbypassrls AND NOT rolcreaterole", Host.AppRole));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)", Host.AppRole));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1", Host.AppRole));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM (SELECT has_table_privilege($1, 'audit_log', 'UPDATE') OR has_table_privilege($1, 'audit_log', 'DELETE') OR has_table_privilege($1, 'audit_log', 'TRUNCATE') AS p) x WHERE p", Host.AppRole));
    }

    [Fact]
    public async Task As_the_app_role_with_no_tenant_set_every_tenant_table_returns_no_rows()
    {
        var tables = await TenantTablesAsync();
        await using var app = new NpgsqlConnection(Host.AppConnectionString);
        await app.OpenAsync();
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", app);
            try
            {
                Assert.True((long)(await count.ExecuteScalarAsync())! == 0, $"{table} shows rows with no tenant set");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // Not even readable: fine (partitions are only reachable through their parent).
            }
        }
        // The same connection does see the demo tenant's rows once the tenant is set: the check above can fail.
        await using var transaction = await app.BeginTransactionAsync();
        await Database.SetTenantAsync(app, transaction, Host.Demo.TenantId, default);
        await using var users = new NpgsqlCommand("SELECT count(*) FROM users", app, transaction);
        Assert.Equal(1L, await users.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_tenant_cannot_write_rows_for_another_tenant()
    {
        var other = await Provisioning.For(Host).CreateTenantAsync("Victim Co", $"v-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        await using var app = new NpgsqlConnection(Host.AppConnectionString);
        await app.OpenAsync();
        await using var transaction = await app.BeginTransactionAsync();
        await Database.SetTenantAsync(app, transaction, Host.Demo.TenantId, default);
        await using var insert = new NpgsqlCommand(
            "INSERT INTO channels (tenant_id, id, type, name, target) VALUES ($1, gen_random_uuid(), 'webhook', 'x', 'https://example.com')", app, transaction);
        insert.Parameters.AddWithValue(other.TenantId);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task Pooled_connections_reused_across_tenants_never_see_the_previous_tenants_rows()
    {
        var provisioner = Provisioning.For(Host);
        var a = await provisioner.CreateTenantAsync("A Co", $"a-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var b = await provisioner.CreateTenantAsync("B Co", $"b-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        // A small pool, so the same physical connections serve both tenants over and over.
        var pooled = new NpgsqlConnectionStringBuilder(Host.AppConnectionString) { MaxPoolSize = 4 }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(pooled);
        var database = new Database(dataSource);

        var leaks = 0;
        var checks = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (mine, theirs) = i % 2 == 0 ? (a.TenantId, b.TenantId) : (b.TenantId, a.TenantId);
            var (own, foreign) = await database.ForTenantAsync(mine, async (connection, transaction) =>
            {
                await using var command = new NpgsqlCommand(
                    "SELECT count(*) FILTER (WHERE tenant_id = $1), count(*) FILTER (WHERE tenant_id = $2) FROM api_keys", connection, transaction);
                command.Parameters.AddWithValue(mine);
                command.Parameters.AddWithValue(theirs);
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return (reader.GetInt64(0), reader.GetInt64(1));
            }, ct);
            if (own != 1 || foreign != 0) Interlocked.Increment(ref leaks);

            // Outside any tenant transaction, the reused connection sees nothing at all.
            await using var bare = await dataSource.OpenConnectionAsync(ct);
            await using var none = new NpgsqlCommand("SELECT count(*) FROM api_keys", bare);
            if ((long)(await none.ExecuteScalarAsync(ct))! != 0) Interlocked.Increment(ref leaks);
            Interlocked.Increment(ref checks);
        });
        Assert.Equal(10_000, checks);
        Assert.Equal(0, leaks);
    }
}
