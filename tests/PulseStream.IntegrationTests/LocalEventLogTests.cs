using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PulseStream.Messaging;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>The local event log against a real Postgres: what its appenders do when their connection goes away.</summary>
public class LocalEventLogTests
{
    private const string Hub = "log-tests";

    [Fact]
    public async Task After_the_appenders_connection_is_killed_the_next_append_commits_on_a_new_one_and_nothing_acknowledged_is_lost()
    {
        var connectionString = await TestEnvironment.CreateDatabaseAsync("pulse_log");
        await new Migrator(new MigrationSettings(connectionString, null, null), NullLogger<Migrator>.Instance).ApplyAsync(default);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var log = new LocalEventLog(dataSource);
        await log.EnsurePartitionsAsync(Hub, default);
        var acknowledged = new List<string>();

        async Task AppendAsync(string body)
        {
            await log.AppendAsync(Hub, "tenant", [System.Text.Encoding.UTF8.GetBytes(body)], default);
            acknowledged.Add(body);
        }

        await AppendAsync("before");
        await KillOtherBackendsAsync(connectionString); // as a Postgres restart or a dropped network would
        dataSource.Clear(); // the idle pooled connections died too; the appender's own one is not in the pool

        // The append that meets the dead connection fails (the client gets a 503 and retries); the retry must succeed.
        try
        {
            await AppendAsync("first try after the kill");
        }
        catch (Exception)
        {
        }
        await AppendAsync("retry");
        await AppendAsync("after");

        var partition = log.PartitionFor("tenant");
        var stored = await log.ReadAsync(Hub, partition, 0, 100, default);
        Assert.Equal(acknowledged, stored.Select(m => System.Text.Encoding.UTF8.GetString(m.Body)).ToList());
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(m => m.SequenceNumber));
    }

    private static async Task KillOtherBackendsAsync(string connectionString)
    {
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync();
        await using var kill = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
        Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1, "the appender's connection was not found");
    }
}
