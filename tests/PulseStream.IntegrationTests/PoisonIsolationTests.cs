using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using PulseStream.Events;
using PulseStream.Messaging;
using PulseStream.Metrics;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A local host whose event log has one partition, so every tenant's messages share it and land in the same consumed
/// batch; and a way to append to that log directly, past the edge (which refuses what these tests inject).
/// </summary>
public sealed class SharedPartitionFixture : IAsyncLifetime
{
    public const string Hub = "api-events";
    public LocalHostProcess Host { get; private set; } = null!;
    private NpgsqlDataSource _log = null!;
    private LocalEventLog _eventLog = null!;

    public async Task InitializeAsync()
    {
        Host = await LocalHostProcess.StartAsync("pulse_seam", s => s["Pulse__Partitions"] = "1");
        _log = NpgsqlDataSource.Create(Host.ConnectionString);
        _eventLog = new LocalEventLog(_log, partitionCount: 1);
    }

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        await Host.DisposeAsync();
    }

    /// <summary>Appends the bodies in one commit (so one consumed batch); returns their sequence numbers.</summary>
    public async Task<(long First, long Last)> AppendAsync(IReadOnlyList<byte[]> bodies)
    {
        var next = await Host.ScalarAsync("SELECT next_sequence FROM event_log_partitions WHERE hub = $1 AND partition_id = 0", Hub);
        await _eventLog.AppendAsync(Hub, null, bodies, default);
        return (next, next + bodies.Count - 1);
    }

    /// <summary>Waits until the Alerts consumer has applied the partition up to <paramref name="sequence"/>.</summary>
    public Task<bool> AppliedAsync(long sequence) => LocalHostProcess.EventuallyAsync(async () =>
        await Host.ScalarAsync("SELECT coalesce(max(sequence_number), 0) FROM consumer_positions WHERE consumer_group = 'alerts' AND partition_id = '0'") >= sequence,
        TimeSpan.FromSeconds(30));

    public async Task<List<Dictionary<string, object?>>> RowsAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static byte[] Envelope(Guid tenantId, IEnumerable<ApiEvent> events) =>
        EventEnvelopeCodec.Encode(new EventEnvelope(tenantId, DateTimeOffset.UtcNow, events.ToList())).Single();

    public static ApiEvent Event(string route, int i, DateTimeOffset? at = null, string? eventId = null, string? path = null, long? requestBytes = 100,
        IReadOnlyDictionary<string, string>? attributes = null) =>
        new(eventId, at ?? DateTimeOffset.UtcNow.AddSeconds(-5), "GET", path ?? route.Replace("{id}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            route, 200, 10 + i % 50, requestBytes, 200, "c1", "production", attributes);
}

[CollectionDefinition(Name)]
public sealed class SharedPartitionCollection : ICollectionFixture<SharedPartitionFixture>
{
    public const string Name = "One shared partition";
}

/// <summary>
/// An event the store cannot hold costs nothing else: other tenants' events in the same consumed batch, and the same
/// tenant's other events, are stored exactly once; only the poison is dead-lettered (issue 11, section 1).
/// </summary>
[Collection(SharedPartitionCollection.Name)]
public class PoisonIsolationTests(SharedPartitionFixture fixture)
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task One_poison_event_among_three_tenants_costs_only_itself_and_an_undecodable_message_only_itself()
    {
        Guid a = Guid.CreateVersion7(), b = Guid.CreateVersion7(), c = Guid.CreateVersion7();
        // Tenant A: 50 good events in two messages, one of them carrying an event with U+0000 in its path (text refuses it).
        var aFirst = Enumerable.Range(0, 30).Select(i => SharedPartitionFixture.Event("/v1/a/{id}", i, eventId: $"a-{i}")).ToList();
        aFirst.Insert(17, SharedPartitionFixture.Event("/v1/poison", 99, eventId: "a-poison", path: "/v1/po\0ison"));
        var aSecond = Enumerable.Range(30, 20).Select(i => SharedPartitionFixture.Event("/v1/a/{id}", i, eventId: $"a-{i}"));
        // Tenant B: 50 good events in two messages. Tenant C: 40 events, one with U+0000 in an attribute value (jsonb refuses it).
        var bFirst = Enumerable.Range(0, 25).Select(i => SharedPartitionFixture.Event("/v1/b", i));
        var bSecond = Enumerable.Range(25, 25).Select(i => SharedPartitionFixture.Event("/v1/b", i));
        var cEvents = Enumerable.Range(0, 40).Select(i => SharedPartitionFixture.Event("/v1/c", i,
            attributes: i == 5 ? new Dictionary<string, string> { ["note"] = "bad\0value" } : new Dictionary<string, string> { ["note"] = "fine" })).ToList();
        var undecodable = "{\"v\":1,\"t\":"u8.ToArray();

        var (first, last) = await fixture.AppendAsync(
        [
            SharedPartitionFixture.Envelope(b, bFirst),
            SharedPartitionFixture.Envelope(a, aFirst),
            SharedPartitionFixture.Envelope(c, cEvents),
            undecodable,
            SharedPartitionFixture.Envelope(a, aSecond),
            SharedPartitionFixture.Envelope(b, bSecond),
        ]);
        Assert.True(await fixture.AppliedAsync(last), "the consumer did not apply the batch\n" + Host.Output);

        foreach (var (tenant, expected) in new[] { (a, 50L), (b, 50L), (c, 39L) })
        {
            Assert.Equal(expected, await Host.StoredEventCountAsync(tenant));
            Assert.Equal(expected, await Host.ScalarAsync("SELECT coalesce(sum(requests), 0) FROM rollup_totals_minute WHERE tenant_id = $1", tenant));
        }
        Assert.Equal(50, (await Host.StoredEventsAsync(a)).Select(e => e.Event.EventId).Where(id => id is not null).Distinct().Count());

        var letters = await fixture.RowsAsync("""
            SELECT tenant_id, event_count, attempts, state, last_error, first_route, body FROM dead_letters
            WHERE sequence_number BETWEEN $1 AND $2 ORDER BY id
            """, first, last);
        Assert.Equal(3, letters.Count);
        var poisonA = Assert.Single(letters, l => (Guid?)l["tenant_id"] == a);
        Assert.Equal(1, poisonA["event_count"]);
        Assert.Equal("dead", poisonA["state"]);
        Assert.Equal("/v1/poison", poisonA["first_route"]);
        var stored = EventEnvelopeCodec.Decode((byte[])poisonA["body"]!);
        Assert.Equal("/v1/po\0ison", Assert.Single(stored.Events).Path);
        var poisonC = Assert.Single(letters, l => (Guid?)l["tenant_id"] == c);
        Assert.Equal("bad\0value", Assert.Single(EventEnvelopeCodec.Decode((byte[])poisonC["body"]!).Events).Attributes!["note"]);
        var whole = Assert.Single(letters, l => l["tenant_id"] is null);
        Assert.Equal(undecodable, whole["body"]);
        Assert.All(letters, l => Assert.False(string.IsNullOrEmpty((string?)l["last_error"])));

        // The failed attempts left no trace: the poison's event id and route were rolled back with it.
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM event_ids WHERE tenant_id = $1 AND event_id = 'a-poison'", a));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM tenant_routes WHERE tenant_id = $1 AND route = '/v1/poison'", a));
        Assert.DoesNotContain("dead-lettering", Host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_events_whose_request_bytes_pass_2_to_the_63_are_both_stored_with_a_saturated_rollup()
    {
        var tenant = Guid.CreateVersion7();
        var at = DateTimeOffset.UtcNow.AddSeconds(-5);
        const long Big = (1L << 62) + 5;
        var (_, last) = await fixture.AppendAsync([SharedPartitionFixture.Envelope(tenant,
            [SharedPartitionFixture.Event("/v1/big", 1, at, requestBytes: Big), SharedPartitionFixture.Event("/v1/big", 2, at, requestBytes: Big)])]);
        Assert.True(await fixture.AppliedAsync(last), Host.Output);
        // A later batch adds to the stored rollup row: the upsert saturates too.
        var (_, later) = await fixture.AppendAsync([SharedPartitionFixture.Envelope(tenant, [SharedPartitionFixture.Event("/v1/big", 3, at, requestBytes: Big)])]);
        Assert.True(await fixture.AppliedAsync(later), Host.Output);

        Assert.Equal(3, await Host.StoredEventCountAsync(tenant));
        Assert.Equal(3, (await Host.StoredEventsAsync(tenant)).Count(e => e.Event.RequestBytes == Big));
        var rollup = Assert.Single(await fixture.RowsAsync(
            "SELECT requests, request_bytes, response_bytes FROM rollup_routes_minute WHERE tenant_id = $1", tenant));
        Assert.Equal(3L, rollup["requests"]);
        Assert.Equal(long.MaxValue, rollup["request_bytes"]);
        Assert.Equal(600L, rollup["response_bytes"]);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM dead_letters WHERE tenant_id = $1", tenant));
    }

    [Fact]
    public async Task Dashboard_queries_answer_with_clamped_sums_when_rollups_hold_counts_near_bigint_max()
    {
        var password = "a long password 123";
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Huge Co", $"h-{Guid.NewGuid():N}@example.com", password, default);
        await InsertHugeRollupsAsync(tenant.TenantId);
        var token = await Host.LoginAsync(tenant.OwnerEmail, password);

        using var routes = await GetJsonAsync("api/v1/routes?window=1h", token);
        var route = Assert.Single(routes.RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal(long.MaxValue, route.GetProperty("requests").GetInt64());
        Assert.InRange(route.GetProperty("errorRate").GetDouble(), 0, 1);
        Assert.True(route.GetProperty("p95").GetDouble() > 0);

        using var overview = await GetJsonAsync("api/v1/dashboard/overview?window=1h", token);
        var totals = overview.RootElement.GetProperty("totals");
        Assert.Equal(long.MaxValue, totals.GetProperty("requests").GetInt64());
        Assert.Equal(long.MaxValue - 10, totals.GetProperty("errors5xx").GetInt64());

        foreach (var metric in new[] { "request_count", "error_rate", "latency_p95", "latency_avg" })
        {
            using var series = await GetJsonAsync($"api/v1/metrics/timeseries?metric={metric}&window=1h&step=1h", token);
            Assert.NotEmpty(series.RootElement.GetProperty("points").EnumerateArray());
        }
    }

    [Fact]
    public async Task A_rule_evaluates_over_rollups_whose_counts_sum_past_bigint_max()
    {
        var password = "a long password 123";
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Huge Rules Co", $"hr-{Guid.NewGuid():N}@example.com", password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, password);
        using (var create = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", token, new
        {
            name = "Lots of traffic",
            enabled = true,
            severity = "warning",
            condition = new { type = "threshold", metric = "request_count", @operator = ">", threshold = 1000, window = "5m" },
            @for = "1m",
            channelIds = Array.Empty<Guid>(),
        })))
        {
            Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        }
        await InsertHugeRollupsAsync(tenant.TenantId);

        // The 15-second evaluation timer reads the summed counts; the rule turns pending instead of failing.
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1", tenant.TenantId) == 1, TimeSpan.FromSeconds(40)),
            "the rule was not evaluated\n" + Host.Output);
    }

    /// <summary>Two rollup rows of one route (and its consumer, and the totals) whose counts, bytes and sketch buckets each sum past 2^63.</summary>
    private async Task InsertHugeRollupsAsync(Guid tenantId)
    {
        const long Huge = 9223372036854775797;
        var sketch = new LatencyHistogram();
        sketch.Add(54, Huge);
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        foreach (var (table, dimensions, values) in new[]
        {
            ("rollup_routes_minute", ", route, method", ", '/v1/huge', 'GET'"), ("rollup_consumers_minute", ", consumer_id", ", 'c1'"), ("rollup_totals_minute", "", ""),
        })
        {
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO {table} (tenant_id, bucket, environment{dimensions}, requests, status_1xx, status_2xx, status_3xx, status_4xx, status_5xx,
                    latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
                SELECT $1, date_trunc('minute', now()) - m * interval '1 minute', 'production'{values}, $2, 0, CASE WHEN s = 2 THEN $2 ELSE 0 END, 0, 0,
                       CASE WHEN s = 5 THEN $2 ELSE 0 END, 1e9, 100, 9223372036854775807, 9223372036854775807, now(), $3
                FROM (VALUES (1, 2), (2, 5)) AS v(m, s)
                """, connection);
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(Huge);
            insert.Parameters.AddWithValue(sketch.ToBytes());
            await insert.ExecuteNonQueryAsync();
            // The coarser tiers hold the same minutes, as the writer keeps them (reads may take a whole hour or day).
            foreach (var (tier, unit) in new[] { ("hour", "hour"), ("day", "day") })
            {
                await using var rollUp = new NpgsqlCommand($"""
                    INSERT INTO {table.Replace("minute", tier, StringComparison.Ordinal)} (tenant_id, bucket, environment{dimensions}, requests, status_1xx, status_2xx,
                        status_3xx, status_4xx, status_5xx, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
                    SELECT tenant_id, date_trunc('{unit}', bucket), environment{dimensions}, clamp_bigint(sum(requests)), 0, clamp_bigint(sum(status_2xx)), 0, 0,
                           clamp_bigint(sum(status_5xx)), sum(latency_sum), max(latency_max), clamp_bigint(sum(request_bytes)), clamp_bigint(sum(response_bytes)),
                           max(last_seen), (array_agg(sketch))[1]
                    FROM {table} WHERE tenant_id = $1 GROUP BY 1, 2, 3{dimensions}
                    """, connection);
                rollUp.Parameters.AddWithValue(tenantId);
                await rollUp.ExecuteNonQueryAsync();
            }
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path, string token)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, path, token));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
        return JsonDocument.Parse(body);
    }
}
