using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Hosting;
using NpgsqlTypes;

namespace PulseStream.Messaging;

/// <summary>One message read from the local event log, with the metadata Event Hubs would give.</summary>
public sealed record LoggedMessage(int PartitionId, long SequenceNumber, string? PartitionKey, DateTimeOffset EnqueuedTime, byte[] Body);

/// <summary>
/// The local stand-in for Event Hubs (DESIGN.md §3): a durable, partitioned log in Postgres. An append is
/// acknowledged only after its transaction commits; sequence numbers are dense per partition because appends to
/// one partition serialise on the partition's counter row; each consumer group keeps its own checkpoints.
/// </summary>
public sealed class LocalEventLog(NpgsqlDataSource dataSource, int partitionCount = LocalEventLog.DefaultPartitionCount,
    ILogger<LocalEventLog>? logger = null)
{
    public const int DefaultPartitionCount = 4;

    public int PartitionCount { get; } = partitionCount;

    /// <summary>Raised after a commit, with the hub and partition, so in-process consumers wake at once.</summary>
    public event Action<string, int>? Appended;

    public async Task EnsurePartitionsAsync(string hub, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO event_log_partitions (hub, partition_id, next_sequence)
            SELECT $1, p, 1 FROM generate_series(0, $2 - 1) AS p
            ON CONFLICT DO NOTHING
            """);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(PartitionCount);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The partition a key maps to: a stable hash, the same in every process and run.</summary>
    public int PartitionFor(string? partitionKey)
    {
        if (partitionKey is null) return 0;
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(partitionKey)) hash = (hash ^ b) * 16777619;
        return (int)(hash % (uint)PartitionCount);
    }

    private sealed record PendingAppend(string? PartitionKey, IReadOnlyList<byte[]> Bodies, TaskCompletionSource Done);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Hub, int Partition), System.Threading.Channels.Channel<PendingAppend>> _appenders = new();

    /// <summary>
    /// Appends bodies to the partition of <paramref name="partitionKey"/>; completes once they are committed.
    /// Appends to one partition are group-committed: while one transaction commits, the appends that arrive meanwhile
    /// queue up and go together in the next, so many small requests cost one commit rather than one each.
    /// </summary>
    public Task AppendAsync(string hub, string? partitionKey, IReadOnlyList<byte[]> bodies, CancellationToken ct)
    {
        if (bodies.Count == 0) return Task.CompletedTask;
        var partition = PartitionFor(partitionKey);
        var channel = _appenders.GetOrAdd((hub, partition), key =>
        {
            var created = System.Threading.Channels.Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = true });
            _ = Task.Run(() => RunAppenderAsync(key.Hub, key.Partition, created.Reader));
            return created;
        });
        var pending = new PendingAppend(partitionKey, bodies, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!channel.Writer.TryWrite(pending)) throw new InvalidOperationException("The local event log is closed.");
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <summary>At most this many bytes go into one group commit.</summary>
    private const int MaxGroupBytes = 16 * 1024 * 1024;

    private async Task RunAppenderAsync(string hub, int partition, System.Threading.Channels.ChannelReader<PendingAppend> reader)
    {
        var appender = new PartitionAppender(hub, partition);
        var group = new List<PendingAppend>();
        while (await reader.WaitToReadAsync())
        {
            group.Clear();
            var bytes = 0L;
            while (bytes < MaxGroupBytes && reader.TryRead(out var next))
            {
                group.Add(next);
                bytes += next.Bodies.Sum(b => (long)b.Length);
            }
            try
            {
                var stage = PipelineStages.Start();
                var bodies = group.SelectMany(g => g.Bodies.Select(b => (g.PartitionKey, b))).ToList();
                await AppendGroupAsync(appender, bodies);
                PipelineStages.Record("log.append.commit", stage, bodies.Count);
                foreach (var done in group) done.Done.TrySetResult();
                Appended?.Invoke(hub, partition);
            }
            catch (Exception e)
            {
                foreach (var failed in group) failed.Done.TrySetException(e);
                // The next group starts on a fresh connection: this one may be broken.
                await appender.DropConnectionAsync();
            }
        }
    }

    /// <summary>
    /// One partition's appender: its own connection, and the partition's next sequence number as of its last commit (or
    /// as read when it connected), from which a retry looks for a group it may have stored already.
    /// </summary>
    private sealed class PartitionAppender(string hub, int partition)
    {
        public string Hub { get; } = hub;
        public int Partition { get; } = partition;
        public NpgsqlConnection? Connection { get; set; }
        public long? NextSequence { get; set; }

        public async Task DropConnectionAsync()
        {
            if (Connection is not null) await Connection.DisposeAsync();
            Connection = null;
        }
    }

    /// <summary>
    /// Stores one group. When the connection turns out to be broken (Postgres restarted, the network dropped), the group
    /// is tried once more on a new connection, so a database that is up again never costs the clients an error. It is
    /// never stored twice: when the first attempt was sent, it may have committed before the break, so the retry first
    /// looks for the group's append id, which only this group's first message carries.
    /// </summary>
    private async Task AppendGroupAsync(PartitionAppender appender, List<(string? PartitionKey, byte[] Body)> bodies)
    {
        var appendId = Guid.NewGuid();
        var sent = false;
        try
        {
            await ConnectAsync(appender);
            sent = true;
            appender.NextSequence = await CommitAsync(appender, bodies, appendId);
            return;
        }
        catch (NpgsqlException e) when (appender.Connection is not { State: System.Data.ConnectionState.Open })
        {
            logger?.LogWarning(e, "The event log appender of {Hub} partition {Partition} lost its connection; retrying on a new one",
                appender.Hub, appender.Partition);
        }
        await appender.DropConnectionAsync();
        // Whatever broke this connection most likely broke the idle ones in the pool too: take a new one, not one of those.
        dataSource.Clear();
        await ConnectAsync(appender);
        if (sent && await FindCommittedAsync(appender, appendId, bodies.Count)) return;
        appender.NextSequence = await CommitAsync(appender, bodies, appendId);
    }

    /// <summary>
    /// One statement, so one round trip and one transaction: reserve the sequence numbers on the partition's counter row
    /// (which serialises appenders of the same partition, in this process or another) and insert the messages with them,
    /// the first one marked with the group's append id. Returns the partition's next sequence number after the group.
    /// </summary>
    private static async Task<long> CommitAsync(PartitionAppender appender, List<(string? PartitionKey, byte[] Body)> bodies, Guid appendId)
    {
        await using var append = new NpgsqlCommand("""
            WITH reserved AS (
                UPDATE event_log_partitions SET next_sequence = next_sequence + $3
                WHERE hub = $1 AND partition_id = $2
                RETURNING next_sequence - $3 AS first
            ), appended AS (
                INSERT INTO event_log_messages (hub, partition_id, sequence_number, partition_key, enqueued_at, body, append_id)
                SELECT $1, $2, reserved.first + m.n - 1, m.k, clock_timestamp(), m.b, CASE WHEN m.n = 1 THEN $6::uuid END
                FROM reserved, unnest($4::text[], $5::bytea[]) WITH ORDINALITY AS m(k, b, n)
            )
            SELECT first + $3 FROM reserved
            """, appender.Connection);
        append.Parameters.AddWithValue(appender.Hub);
        append.Parameters.AddWithValue(appender.Partition);
        append.Parameters.AddWithValue((long)bodies.Count);
        append.Parameters.Add(new NpgsqlParameter { Value = bodies.Select(b => b.PartitionKey).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        append.Parameters.AddWithValue(bodies.Select(b => b.Body).ToArray());
        append.Parameters.AddWithValue(appendId);
        return await append.ExecuteScalarAsync() as long?
            ?? throw new InvalidOperationException($"The local event log has no partition {appender.Partition} for hub '{appender.Hub}'.");
    }

    /// <summary>
    /// Whether the group with <paramref name="appendId"/> is stored: its first message lies at or after the sequence
    /// number the appender knew before it sent the group (an index range, however long the partition).
    /// </summary>
    private static async Task<bool> FindCommittedAsync(PartitionAppender appender, Guid appendId, int count)
    {
        await using var find = new NpgsqlCommand("""
            SELECT sequence_number FROM event_log_messages
            WHERE hub = $1 AND partition_id = $2 AND sequence_number >= $3 AND append_id = $4
            """, appender.Connection);
        find.Parameters.AddWithValue(appender.Hub);
        find.Parameters.AddWithValue(appender.Partition);
        find.Parameters.AddWithValue(appender.NextSequence ?? 0L);
        find.Parameters.AddWithValue(appendId);
        if (await find.ExecuteScalarAsync() is not long first) return false;
        appender.NextSequence = first + count;
        return true;
    }

    /// <summary>
    /// Each partition's appender keeps its own connection: a pooled connection would be reset (a round of RESET
    /// statements on the server) before every append. The session commits synchronously whatever the connection
    /// string's defaults: an append is acknowledged only once it is on disk. An appender that does not know its
    /// partition's next sequence number yet reads it here, before it sends anything.
    /// </summary>
    private async Task ConnectAsync(PartitionAppender appender)
    {
        if (appender.Connection is not null) return;
        var connection = await dataSource.OpenConnectionAsync();
        try
        {
            await using (var durable = new NpgsqlCommand("SET synchronous_commit = on", connection))
                await durable.ExecuteNonQueryAsync();
            if (appender.NextSequence is null)
            {
                await using var next = new NpgsqlCommand("SELECT next_sequence FROM event_log_partitions WHERE hub = $1 AND partition_id = $2", connection);
                next.Parameters.AddWithValue(appender.Hub);
                next.Parameters.AddWithValue(appender.Partition);
                appender.NextSequence = await next.ExecuteScalarAsync() as long?;
            }
            appender.Connection = connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<List<LoggedMessage>> ReadAsync(string hub, int partition, long afterSequence, int maxCount, CancellationToken ct)
    {
        var stage = PipelineStages.Start();
        await using var command = dataSource.CreateCommand("""
            SELECT sequence_number, partition_key, enqueued_at, body FROM event_log_messages
            WHERE hub = $1 AND partition_id = $2 AND sequence_number > $3
            ORDER BY sequence_number LIMIT $4
            """);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(partition);
        command.Parameters.AddWithValue(afterSequence);
        command.Parameters.AddWithValue(maxCount);
        var messages = new List<LoggedMessage>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            messages.Add(new LoggedMessage(partition, reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<byte[]>(3)));
        }
        PipelineStages.Record("log.read", stage, messages.Count);
        return messages;
    }

    public async Task<long> GetCheckpointAsync(string hub, string consumerGroup, int partition, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT sequence_number FROM event_log_checkpoints WHERE hub = $1 AND consumer_group = $2 AND partition_id = $3");
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(consumerGroup);
        command.Parameters.AddWithValue(partition);
        return await command.ExecuteScalarAsync(ct) is long sequence ? sequence : 0;
    }

    public async Task CheckpointAsync(string hub, string consumerGroup, int partition, long sequenceNumber, CancellationToken ct)
    {
        var stage = PipelineStages.Start();
        await using var command = dataSource.CreateCommand("""
            INSERT INTO event_log_checkpoints (hub, consumer_group, partition_id, sequence_number) VALUES ($1, $2, $3, $4)
            ON CONFLICT (hub, consumer_group, partition_id) DO UPDATE SET sequence_number = excluded.sequence_number
            """);
        command.Parameters.AddWithValue(hub);
        command.Parameters.AddWithValue(consumerGroup);
        command.Parameters.AddWithValue(partition);
        command.Parameters.AddWithValue(sequenceNumber);
        await command.ExecuteNonQueryAsync(ct);
        PipelineStages.Record("log.checkpoint", stage, 1);
    }
}

/// <summary>Publishes to the local event log, with the tenant id as partition key like the Event Hubs publisher.</summary>
public sealed class LocalEventLogPublisher(LocalEventLog log, string hubName) : IEventPublisher
{
    public async Task PublishAsync(Events.EventEnvelope envelope, CancellationToken ct)
    {
        var stage = PipelineStages.Start();
        var bodies = Events.EventEnvelopeCodec.Encode(envelope);
        stage = PipelineStages.Record("edge.encode", stage, envelope.Events.Count);
        await log.AppendAsync(hubName, envelope.TenantId.ToString(), bodies, ct);
        PipelineStages.Record("log.append.wait", stage, envelope.Events.Count);
    }
}
