using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PulseStream.Messaging;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The local event log's appenders after their database connections died (a Postgres restart, a dropped network):
/// the database is up again, so no client may get a 503, and no append may be stored twice.
/// </summary>
public class EventLogRecoveryTests
{
    [Fact]
    public async Task After_the_hosts_database_connections_are_killed_every_partition_accepts_the_next_events_and_stores_them_once()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_rec");
        var partitioner = new LocalEventLog(null!);
        var provisioner = Provisioning.For(host);
        var keys = new Dictionary<int, (Guid TenantId, string ApiKey)> { [partitioner.PartitionFor(host.Demo.TenantId.ToString())] = (host.Demo.TenantId, host.Demo.ApiKey) };
        while (keys.Count < partitioner.PartitionCount)
        {
            var tenant = await provisioner.CreateTenantAsync("Recovery", $"r-{Guid.NewGuid():N}@example.com", "a long password 123", default);
            keys.TryAdd(partitioner.PartitionFor(tenant.TenantId.ToString()), (tenant.TenantId, tenant.ApiKey));
        }
        var sent = keys.Values.ToDictionary(k => k.TenantId, _ => 0);
        var accepted = new List<string>();
        async Task SendAsync(string when)
        {
            foreach (var (partition, (tenantId, apiKey)) in keys.OrderBy(k => k.Key))
            {
                var events = Enumerable.Range(0, 5).Select(_ => Payloads.Event("/v1/recovery")).ToList();
                using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(events), apiKey));
                accepted.Add($"{when}, partition {partition}: {(int)response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.Accepted) sent[tenantId] += events.Count;
            }
        }

        await SendAsync("before"); // every partition's appender now holds a connection
        await KillDatabaseConnectionsAsync(host.ConnectionString);
        await SendAsync("first after the kill");
        await SendAsync("second after the kill");

        Assert.All(accepted, answer => Assert.EndsWith(": 202", answer, StringComparison.Ordinal));
        async Task<long> StoredAsync(Guid tenantId) => await host.StoredEventCountAsync(tenantId);
        foreach (var (tenantId, count) in sent)
        {
            Assert.True(await LocalHostProcess.EventuallyAsync(async () => await StoredAsync(tenantId) >= count, TimeSpan.FromSeconds(60)),
                $"tenant {tenantId}: {await StoredAsync(tenantId)} of {count} stored");
        }
        await Task.Delay(1000); // a late duplicate would show now
        foreach (var (tenantId, count) in sent) Assert.Equal(count, await StoredAsync(tenantId));
        // Exactly one log message per accepted request: no append went into the log twice.
        Assert.Equal(accepted.Count, await host.ScalarAsync("SELECT count(*) FROM event_log_messages WHERE partition_key = ANY($1)",
            (object)keys.Values.Select(k => k.TenantId.ToString()).ToArray()));
    }

    /// <summary>
    /// A checkpoint write that fails (its connection died after the function stored the batch) must not end the
    /// partition's reader: the batch is stored, and the next events on that partition are stored too.
    /// </summary>
    [Fact]
    public async Task A_checkpoint_that_cannot_be_written_does_not_stop_the_partitions_reader()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_ckpt");
        await using var admin = new NpgsqlConnection(host.ConnectionString);
        await admin.OpenAsync();
        async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, admin);
            await command.ExecuteNonQueryAsync();
        }
        async Task SendAsync()
        {
            var events = Enumerable.Range(0, 5).Select(_ => Payloads.Event("/v1/checkpoint")).ToList();
            using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(events), host.Demo.ApiKey));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        async Task<bool> StoredAsync(long count) =>
            await LocalHostProcess.EventuallyAsync(async () => await host.StoredEventCountAsync(host.Demo.TenantId) >= count, TimeSpan.FromSeconds(30));

        await ExecuteAsync("""
            CREATE SEQUENCE checkpoint_refusals; -- not transactional: counts refusals the exception rolls back
            GRANT USAGE ON SEQUENCE checkpoint_refusals TO PUBLIC;
            CREATE FUNCTION refuse_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM nextval('checkpoint_refusals'); RAISE EXCEPTION 'checkpoint refused by the test'; END $$;
            CREATE TRIGGER refuse_checkpoint BEFORE INSERT OR UPDATE ON event_log_checkpoints
                FOR EACH ROW EXECUTE FUNCTION refuse_checkpoint();
            """);
        await SendAsync();
        Assert.True(await StoredAsync(5), "the batch before the refused checkpoint was not stored");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await host.ScalarAsync("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM checkpoint_refusals") > 0,
            TimeSpan.FromSeconds(10)), "no reader tried to checkpoint the stored batch");
        await ExecuteAsync("DROP TRIGGER refuse_checkpoint ON event_log_checkpoints");

        await SendAsync();
        Assert.True(await StoredAsync(10), $"{await host.StoredEventCountAsync(host.Demo.TenantId)} of 10 stored after a refused checkpoint");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(30)),
            "the checkpoint did not catch up once it could be written");
        await Task.Delay(1000); // a redelivered batch stored twice would show now
        Assert.Equal(10, await host.StoredEventCountAsync(host.Demo.TenantId));
    }

    /// <summary>
    /// The case a retry must not get wrong: the group committed, but the connection died before the acknowledgement
    /// reached the appender. The relay forwards the append and lets Postgres answer it, then cuts the connection instead
    /// of passing the answer on.
    /// </summary>
    [Fact]
    public async Task An_append_whose_acknowledgement_is_lost_after_its_commit_is_stored_once_and_acknowledged()
    {
        var connectionString = await TestEnvironment.CreateDatabaseAsync("pulse_lost");
        await new Migrator(new MigrationSettings(connectionString, null, null), NullLogger<Migrator>.Instance).ApplyAsync(default);
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        await using var relay = new AnswerLosingRelay(server.Host!, server.Port);
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = relay.Port }.ConnectionString);
        var log = new LocalEventLog(dataSource);
        const string hub = "lost-answers";
        await log.EnsurePartitionsAsync(hub, default);

        await log.AppendAsync(hub, "tenant", [System.Text.Encoding.UTF8.GetBytes("first")], default);
        relay.LoseNextAnswer();
        await log.AppendAsync(hub, "tenant", [System.Text.Encoding.UTF8.GetBytes("committed, answer lost")], default);
        await log.AppendAsync(hub, "tenant", [System.Text.Encoding.UTF8.GetBytes("after")], default);

        Assert.Equal(1, relay.AnswersLost);
        var stored = await log.ReadAsync(hub, log.PartitionFor("tenant"), 0, 100, default);
        Assert.Equal(["first", "committed, answer lost", "after"], stored.Select(m => System.Text.Encoding.UTF8.GetString(m.Body)));
        Assert.Equal([1L, 2L, 3L], stored.Select(m => m.SequenceNumber));
    }

    private static async Task KillDatabaseConnectionsAsync(string connectionString)
    {
        await using var admin = new NpgsqlConnection(connectionString);
        await admin.OpenAsync();
        await using var kill = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
        Assert.True((long)(await kill.ExecuteScalarAsync())! >= LocalEventLog.DefaultPartitionCount, "the appenders' connections were not found");
    }

    /// <summary>
    /// A TCP relay to Postgres that can lose one answer: after <see cref="LoseNextAnswer"/>, the next request a client
    /// sends is forwarded, and when the server's answer comes back the relay closes both sides without passing it on.
    /// </summary>
    private sealed class AnswerLosingRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _serverHost;
        private readonly int _serverPort;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _armed;
        private int _lost;

        public AnswerLosingRelay(string serverHost, int serverPort)
        {
            (_serverHost, _serverPort) = (serverHost, serverPort);
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int AnswersLost => Volatile.Read(ref _lost);
        public void LoseNextAnswer() => Volatile.Write(ref _armed, 1);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = RelayAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task RelayAsync(TcpClient client)
        {
            using var _ = client;
            using var server = new TcpClient();
            await server.ConnectAsync(_serverHost, _serverPort, _stop.Token);
            var losing = 0; // set when this connection carried the request whose answer is to be lost
            var toServer = Pump(client.GetStream(), server.GetStream(), () =>
            {
                if (Interlocked.Exchange(ref _armed, 0) == 1) Volatile.Write(ref losing, 1);
                return true;
            });
            var toClient = Pump(server.GetStream(), client.GetStream(), () =>
            {
                if (Volatile.Read(ref losing) == 0) return true;
                Interlocked.Increment(ref _lost);
                return false;
            });
            await Task.WhenAny(toServer, toClient);
            client.Client.Close(0);
            server.Client.Close(0);
        }

        /// <summary>Copies chunks until either side closes or <paramref name="forward"/> says to cut here.</summary>
        private async Task Pump(NetworkStream from, NetworkStream to, Func<bool> forward)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReadAsync(buffer, _stop.Token);
                    if (read == 0 || !forward()) return;
                    await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
