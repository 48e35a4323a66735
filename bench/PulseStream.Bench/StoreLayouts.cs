using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Events;
using PulseStream.Events.Rows;
using PulseStream.Events.Segments;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.Bench;

/// <summary>
/// <c>./pulse bench --only store</c>: the raw-event layouts side by side on one run and the same generated events
/// (30 tenants, batches of 1,000, 10% with event ids): events/s appended through each layout's
/// <see cref="IEventStore.AppendAsync"/> in transactions shaped like the consumer's (several tenants per transaction,
/// each in a savepoint with its tenant set), bytes on disk per event, and the time of a filtered events page over
/// about a million stored events; beside a plain binary COPY into a table with one index and no row-level security,
/// the row-store limit on this machine.
/// </summary>
public static class StoreLayouts
{
    private const int Tenants = 30, BatchSize = 1000, TenantsPerTransaction = 10, Writers = 2, Queries = 200;

    public static async Task<int> RunAsync(int events)
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_store_bench", s => s["Pulse__Consumers"] = "false");
        var batches = Generate(events / BatchSize);
        await using var app = new NpgsqlDataSourceBuilder(host.AppConnectionString) { ConnectionStringBuilder = { MaxAutoPrepare = 64, WriteBufferSize = 65536, ReadBufferSize = 65536 } }.Build();
        await using var owner = NpgsqlDataSource.Create(host.ConnectionString);
        var database = new Database(app);
        await CreatePlainTableAsync(owner);

        var layouts = new (string Name, string Table, IEventStore? Store)[]
        {
            ("segments", "event_segments", new SegmentEventStore(database)),
            ("rows, COPY → temp → INSERT SELECT", "events", new RowEventStore(database, RowLoad.CopyThroughTemporaryTable)),
            ("rows, unnest INSERT", "events", new RowEventStore(database, RowLoad.Unnest)),
            ("plain binary COPY, one index, no RLS (row-store limit)", "bench_plain_events", null),
        };
        var results = new List<(string Name, double Rate, double BytesPerEvent, double P50, double P95, double FirstPageP95)>();
        double? limit = null;
        foreach (var (name, table, store) in layouts)
        {
            // Each layout starts from an empty table and a quiet disk: warm-up batches (JIT, partitions, plans) are dropped.
            await Execute(owner, $"TRUNCATE {table}; CHECKPOINT");
            await LoadAsync(database, owner, store, batches.Take(40).ToList());
            await Execute(owner, $"TRUNCATE {table}; CHECKPOINT");
            var load = Stopwatch.StartNew();
            await LoadAsync(database, owner, store, batches);
            var seconds = load.Elapsed.TotalSeconds;
            var stored = batches.Sum(b => b.Events.Count);
            await Execute(owner, $"VACUUM ANALYZE {table}");
            var bytes = await Scalar(owner, $"""
                SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
                WHERE c.oid = '{table}'::regclass OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = '{table}'::regclass)
                """);
            var rate = stored / seconds;
            if (store is null) limit = rate;
            var (p50, p95, unfiltered) = store is null ? (double.NaN, double.NaN, double.NaN) : await QueryTimesAsync(store, batches);
            results.Add((name, rate, bytes / (double)stored, p50, p95, unfiltered));
            Console.WriteLine($"  {name}: {stored:N0} events in {seconds:N1} s, {rate:N0} events/s, {bytes / (double)stored:N1} bytes/event, filtered page p50 {p50:N1} ms p95 {p95:N1} ms");
        }

        Console.WriteLine();
        Console.WriteLine($"Raw event layouts: {batches.Sum(b => b.Events.Count):N0} events, {Tenants} tenants, batches of {BatchSize:N0}, {TenantsPerTransaction} tenants per transaction, {Writers} writers");
        Console.WriteLine($"| layout | events/s | ÷ plain COPY | bytes on disk per event | filtered page p50 / p95 ms (route + 5xx) | first page p95 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, rate, perEvent, p50, p95, firstPage) in results)
        {
            var pages = double.IsNaN(p50) ? "- | -" : $"{p50:N1} / {p95:N1} | {firstPage:N1}";
            Console.WriteLine($"| {name} | {rate:N0} | {rate / limit:N2} | {perEvent:N1} | {pages} |");
        }
        return 0;
    }

    private sealed record Batch(Guid TenantId, List<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> Events);

    /// <summary>Batches of 1,000 events round-robin over 30 tenants, each with its own routes, consumers and paths.</summary>
    private static List<Batch> Generate(int count)
    {
        var random = new Random(12);
        var tenants = Enumerable.Range(0, Tenants).Select(_ => Guid.CreateVersion7()).ToArray();
        string[] resources = ["orders", "products", "customers", "invoices", "payments", "carts", "shipments", "reviews", "users", "sessions"];
        var routes = Enumerable.Range(0, 200).Select(i => $"/v{1 + i % 2}/{resources[i % resources.Length]}{(i / 20 == 0 ? "" : $"-{i / 20}")}{(i % 3 == 0 ? "" : "/{id}")}").ToArray();
        string[] methods = ["GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH"];
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var batches = new List<Batch>(count);
        for (var b = 0; b < count; b++)
        {
            var tenant = tenants[b % Tenants];
            var receivedAt = start.AddMilliseconds(b * 50);
            var events = new List<(Guid, DateTimeOffset, ApiEvent)>(BatchSize);
            for (var i = 0; i < BatchSize; i++)
            {
                // Zipf-like: a few routes and consumers take most of the traffic, as in a real API.
                var route = routes[(int)(routes.Length * Math.Pow(random.NextDouble(), 3))];
                var consumer = random.Next(20) == 0 ? null : $"consumer-{(int)(1000 * Math.Pow(random.NextDouble(), 2)):D4}";
                var roll = random.Next(100);
                var status = roll < 2 ? 500 + random.Next(4) : roll < 6 ? 400 + random.Next(5) * 1 : roll < 10 ? 201 : 200;
                // Log-normal latency around 40 ms, reported to the microsecond like most SDKs' timers.
                var latency = Math.Round(Math.Exp(3.7 + 0.9 * Normal(random)), 3);
                var path = route.Replace("{id}", random.Next(1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
                events.Add((tenant, receivedAt, new ApiEvent(random.Next(10) == 0 ? Guid.NewGuid().ToString("N") : null,
                    receivedAt.AddMilliseconds(-random.Next(1000)), methods[random.Next(methods.Length)], path, route, status, Math.Min(latency, 3_600_000),
                    random.Next(3) == 0 ? null : random.Next(100, 4000), random.Next(200, 60_000), consumer, random.Next(10) == 0 ? "staging" : "production",
                    random.Next(20) == 0 ? new Dictionary<string, string> { ["region"] = random.Next(2) == 0 ? "eu-west" : "us-east" } : null)));
            }
            batches.Add(new Batch(tenant, events));
        }
        return batches;
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Writers take consumed batches of several tenants each; each transaction appends tenant by tenant in savepoints, as the consumer does.</summary>
    private static async Task LoadAsync(Database database, NpgsqlDataSource owner, IEventStore? store, List<Batch> batches)
    {
        var transactions = batches.Chunk(TenantsPerTransaction).ToList();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < transactions.Count)
            {
                if (store is null)
                {
                    await PlainCopyAsync(owner, transactions[i]);
                    continue;
                }
                await database.InTransactionAsync(async (connection, transaction) =>
                {
                    foreach (var batch in transactions[i])
                    {
                        await transaction.SaveAsync("event_rows");
                        await Database.SetTenantAsync(connection, transaction, batch.TenantId, default);
                        await store.AppendAsync(connection, transaction, batch.Events, default);
                        await transaction.ReleaseAsync("event_rows");
                    }
                }, default);
            }
        })));
    }

    /// <summary>The row-store limit's table: the events' columns, one index (tenant, time), no row-level security.</summary>
    public static Task CreatePlainTableAsync(NpgsqlDataSource owner) => Execute(owner, """
        CREATE TABLE bench_plain_events (
            tenant_id uuid NOT NULL, ts timestamptz NOT NULL, received_at timestamptz NOT NULL, event_id text, method text NOT NULL,
            path text NOT NULL, route text NOT NULL, status_code smallint NOT NULL, latency_ms float8 NOT NULL, request_bytes bigint,
            response_bytes bigint, consumer_id text, environment text NOT NULL, attributes jsonb);
        CREATE INDEX bench_plain_events_tenant_ts ON bench_plain_events (tenant_id, ts DESC);
        """);

    /// <summary>
    /// Loads <paramref name="transactions"/> into <c>bench_plain_events</c> by plain binary COPY, one transaction each,
    /// with <see cref="Writers"/> writers (as the layouts are loaded); returns the events per second.
    /// </summary>
    public static async Task<double> PlainCopyRateAsync(NpgsqlDataSource owner, IReadOnlyList<IReadOnlyList<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)>> transactions)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < transactions.Count) await PlainCopyAsync(owner, transactions[i]);
        })));
        return transactions.Sum(t => t.Count) / watch.Elapsed.TotalSeconds;
    }

    private static Task PlainCopyAsync(NpgsqlDataSource owner, Batch[] batches) => PlainCopyAsync(owner, batches.SelectMany(b => b.Events));

    private static async Task PlainCopyAsync(NpgsqlDataSource owner, IEnumerable<(Guid TenantId, DateTimeOffset ReceivedAt, ApiEvent Event)> events)
    {
        await using var connection = await owner.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY bench_plain_events (tenant_id, ts, received_at, event_id, method, path, route, status_code, latency_ms, request_bytes, response_bytes, consumer_id, environment, attributes) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (tenantId, receivedAt, e) in events)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(tenantId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(receivedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
                if (e.EventId is null) await copy.WriteNullAsync(); else await copy.WriteAsync(e.EventId, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Method, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Path, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Route, NpgsqlDbType.Text);
                await copy.WriteAsync((short)e.StatusCode, NpgsqlDbType.Smallint);
                await copy.WriteAsync(e.LatencyMs, NpgsqlDbType.Double);
                if (e.RequestBytes is { } rq) await copy.WriteAsync(rq, NpgsqlDbType.Bigint); else await copy.WriteNullAsync();
                if (e.ResponseBytes is { } rs) await copy.WriteAsync(rs, NpgsqlDbType.Bigint); else await copy.WriteNullAsync();
                if (e.ConsumerId is null) await copy.WriteNullAsync(); else await copy.WriteAsync(e.ConsumerId, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Environment, NpgsqlDbType.Text);
                if (e.Attributes is { Count: > 0 } a) await copy.WriteAsync(System.Text.Json.JsonSerializer.Serialize(a), NpgsqlDbType.Jsonb); else await copy.WriteNullAsync();
            }
            await copy.CompleteAsync();
        }
        await transaction.CommitAsync();
    }

    /// <summary>p50 and p95 of a filtered page (a route of the tenant's top 20, class 5xx) and p95 of an unfiltered first page, in ms.</summary>
    private static async Task<(double P50, double P95, double FirstPageP95)> QueryTimesAsync(IEventStore store, List<Batch> batches)
    {
        var random = new Random(3);
        var tenants = batches.Select(b => b.TenantId).Distinct().ToArray();
        var topRoutes = batches.SelectMany(b => b.Events).GroupBy(e => e.Event.Route).OrderByDescending(g => g.Count()).Take(20).Select(g => g.Key).ToArray();
        for (var i = 0; i < 20; i++) await store.QueryAsync(tenants[i % tenants.Length], new EventQuery { Route = topRoutes[i % topRoutes.Length], StatusClass = 5 }, default);
        var filtered = new List<double>();
        var unfiltered = new List<double>();
        for (var i = 0; i < Queries; i++)
        {
            var tenant = tenants[random.Next(tenants.Length)];
            var watch = Stopwatch.StartNew();
            await store.QueryAsync(tenant, new EventQuery { Route = topRoutes[random.Next(topRoutes.Length)], StatusClass = 5 }, default);
            filtered.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await store.QueryAsync(tenant, new EventQuery(), default);
            unfiltered.Add(watch.Elapsed.TotalMilliseconds);
        }
        filtered.Sort();
        unfiltered.Sort();
        return (filtered[filtered.Count / 2], filtered[(int)(filtered.Count * 0.95)], unfiltered[(int)(unfiltered.Count * 0.95)]);
    }

    private static async Task Execute(NpgsqlDataSource source, string sql)
    {
        await using var connection = await source.OpenConnectionAsync();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 600 };
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<long> Scalar(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
