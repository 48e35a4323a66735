using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using PulseStream.Events;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Dead letters are visible to an operator and replayable after a fix; what still cannot be stored stays dead
/// without blocking anything, and a replay never stores an event twice (issue 11, section 1).
/// </summary>
[Collection(SharedPartitionCollection.Name)]
public class DeadLetterTests(SharedPartitionFixture fixture)
{
    private LocalHostProcess Host => fixture.Host;

    /// <summary>The key the local host generated into its state directory's secrets.json.</summary>
    private string OperatorKey =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Host.StateDir, "secrets.json"))).RootElement.GetProperty("operatorKey").GetString()!;

    private HttpRequestMessage Operator(HttpMethod method, string path, object? body = null, string? key = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add("X-Operator-Key", key);
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    [Fact]
    public async Task Operator_routes_refuse_a_missing_or_wrong_key_and_never_show_bytes_or_secrets()
    {
        var tenant = Guid.CreateVersion7();
        var (_, last) = await fixture.AppendAsync([SharedPartitionFixture.Envelope(tenant,
            [SharedPartitionFixture.Event("/v1/ok", 1), SharedPartitionFixture.Event("/v1/listed", 2, path: "/v1/li\0sted")])]);
        Assert.True(await fixture.AppliedAsync(last), Host.Output);

        foreach (var (method, path) in new[] { (HttpMethod.Get, "api/admin/dead-letters"), (HttpMethod.Post, "api/admin/dead-letters/replay") })
        {
            var body = method == HttpMethod.Post ? new { all = true } : null;
            await IngestPipelineTests.AssertProblem(await Host.Http.SendAsync(Operator(method, path, body)), HttpStatusCode.Unauthorized, "missing-operator-key");
            await IngestPipelineTests.AssertProblem(await Host.Http.SendAsync(Operator(method, path, body, "not-the-operator-key-but-long-enough-1234")),
                HttpStatusCode.Unauthorized, "invalid-operator-key");
        }
        // A person's token is not an operator key.
        var token = await Host.LoginAsync();
        var withToken = Host.Authorized(HttpMethod.Get, "api/admin/dead-letters", token);
        await IngestPipelineTests.AssertProblem(await Host.Http.SendAsync(withToken), HttpStatusCode.Unauthorized, "missing-operator-key");

        using var response = await Host.Http.SendAsync(Operator(HttpMethod.Get, "api/admin/dead-letters?state=dead&limit=200", key: OperatorKey));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var page = JsonDocument.Parse(text);
        var letter = Assert.Single(page.RootElement.GetProperty("items").EnumerateArray(), i => i.TryGetProperty("tenantId", out var t) && t.GetGuid() == tenant);
        Assert.Equal("dead", letter.GetProperty("state").GetString());
        Assert.Equal(1, letter.GetProperty("eventCount").GetInt32());
        Assert.Equal(1, letter.GetProperty("attempts").GetInt32());
        Assert.Equal("/v1/listed", letter.GetProperty("firstRoute").GetString());
        Assert.True(letter.TryGetProperty("firstEventAt", out _));
        Assert.False(string.IsNullOrEmpty(letter.GetProperty("lastError").GetString()));
        Assert.True(page.RootElement.GetProperty("counts").GetProperty("dead").GetInt64() >= 1);
        // No bytes, no key, no stack trace or type name.
        Assert.False(letter.TryGetProperty("body", out _));
        var stored = Convert.ToBase64String((byte[])(await fixture.RowsAsync("SELECT body FROM dead_letters WHERE id = $1", letter.GetProperty("id").GetInt64()))[0]["body"]!);
        Assert.DoesNotContain(stored, text, StringComparison.Ordinal);
        Assert.DoesNotContain(OperatorKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Host.SigningKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);

        // Paging: newest first, the cursor continues below the last id.
        using var first = JsonDocument.Parse(await (await Host.Http.SendAsync(Operator(HttpMethod.Get, "api/admin/dead-letters?limit=1", key: OperatorKey))).Content.ReadAsStringAsync());
        var next = first.RootElement.GetProperty("next").GetString();
        using var second = JsonDocument.Parse(await (await Host.Http.SendAsync(Operator(HttpMethod.Get, $"api/admin/dead-letters?limit=1&cursor={next}", key: OperatorKey))).Content.ReadAsStringAsync());
        Assert.True(second.RootElement.GetProperty("items")[0].GetProperty("id").GetInt64() < first.RootElement.GetProperty("items")[0].GetProperty("id").GetInt64());

        foreach (var bad in new[] { "api/admin/dead-letters?state=gone", "api/admin/dead-letters?limit=0", "api/admin/dead-letters?cursor=abc" })
            Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.SendAsync(Operator(HttpMethod.Get, bad, key: OperatorKey))).StatusCode);
    }

    [Fact]
    public async Task Replay_stores_a_fixed_dead_letter_once_and_a_still_bad_one_stays_dead_with_one_more_attempt()
    {
        var tenant = Guid.CreateVersion7();
        var at = DateTimeOffset.UtcNow.AddSeconds(-5);
        // A poison event the consumer dead-letters...
        var (_, last) = await fixture.AppendAsync([SharedPartitionFixture.Envelope(tenant,
            [SharedPartitionFixture.Event("/v1/r", 1, at), SharedPartitionFixture.Event("/v1/r", 2, at, eventId: "still-bad", path: "/v1/\0")])]);
        Assert.True(await fixture.AppliedAsync(last), Host.Output);
        var poisonId = await Host.ScalarAsync("SELECT id FROM dead_letters WHERE tenant_id = $1", tenant);
        // ...a dead letter whose only problem was passing (a good envelope, as an outage would have left it)...
        var fixedId = await InsertDeadLetterAsync(tenant, [SharedPartitionFixture.Event("/v1/r", 3, at, eventId: "fixed-1")]);
        // ...and a whole message, dead-lettered before isolation existed, with one good and one bad event.
        var mixedId = await InsertDeadLetterAsync(tenant,
            [SharedPartitionFixture.Event("/v1/r", 4, at), SharedPartitionFixture.Event("/v1/r", 5, at, path: "/v1/mixed\0")]);
        Assert.Equal(1, await Host.StoredEventCountAsync(tenant));

        using var report = await ReplayAsync(new { ids = new[] { poisonId, fixedId, mixedId, 987654321L } });
        Assert.Equal([fixedId], report.RootElement.GetProperty("replayed").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([987654321L], report.RootElement.GetProperty("notDead").EnumerateArray().Select(e => e.GetInt64()));
        var stillDead = report.RootElement.GetProperty("stillDead").EnumerateArray().ToDictionary(e => e.GetProperty("id").GetInt64());
        Assert.Equal([poisonId, mixedId], stillDead.Keys.Order());
        Assert.Equal(2, stillDead[poisonId].GetProperty("attempts").GetInt32());
        Assert.Equal(1, stillDead[mixedId].GetProperty("eventCount").GetInt32());

        // The fixed one and the good half of the mixed one are stored and counted, once.
        Assert.Equal(3, await Host.StoredEventCountAsync(tenant));
        Assert.Equal(1, (await Host.StoredEventsAsync(tenant)).Count(e => e.Event.EventId == "fixed-1"));
        Assert.Equal(3, await Host.ScalarAsync("SELECT sum(requests) FROM rollup_totals_minute WHERE tenant_id = $1", tenant));
        var states = await fixture.RowsAsync("SELECT id, state, attempts, event_count, replayed_at FROM dead_letters WHERE tenant_id = $1", tenant);
        Assert.Equal("replayed", states.Single(s => (long)s["id"]! == fixedId)["state"]);
        Assert.NotNull(states.Single(s => (long)s["id"]! == fixedId)["replayed_at"]);
        Assert.Equal(2, states.Single(s => (long)s["id"]! == poisonId)["attempts"]);

        // Replaying again stores nothing twice: the replayed one is not dead any more, the others keep failing.
        using var again = await ReplayAsync(new { ids = new[] { poisonId, fixedId, mixedId } });
        Assert.Equal([fixedId], again.RootElement.GetProperty("notDead").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Empty(again.RootElement.GetProperty("replayed").EnumerateArray());
        Assert.Equal(3, await Host.StoredEventCountAsync(tenant));
        Assert.Equal(3, await Host.ScalarAsync("SELECT attempts FROM dead_letters WHERE id = $1", poisonId));
        Assert.Equal(3, await Host.ScalarAsync("SELECT attempts FROM dead_letters WHERE id = $1", mixedId));

        // Nothing was blocked meanwhile: the consumer kept storing the partition.
        var (_, later) = await fixture.AppendAsync([SharedPartitionFixture.Envelope(tenant, [SharedPartitionFixture.Event("/v1/r", 6, at)])]);
        Assert.True(await fixture.AppliedAsync(later), Host.Output);
        Assert.Equal(4, await Host.StoredEventCountAsync(tenant));

        // Replaying all answers within its bound; the still-bad letters are still there afterwards.
        using var all = await ReplayAsync(new { all = true });
        Assert.Contains(all.RootElement.GetProperty("stillDead").EnumerateArray(), e => e.GetProperty("id").GetInt64() == poisonId);
        Assert.Equal(JsonValueKind.Null, all.RootElement.TryGetProperty("next", out var nextAll) ? nextAll.ValueKind : JsonValueKind.Null);
        Assert.Equal(4, await Host.StoredEventCountAsync(tenant));
    }

    [Fact]
    public async Task A_replay_request_is_bounded_and_must_say_what_to_replay()
    {
        foreach (var body in new object[] { new { }, new { ids = Array.Empty<long>() }, new { all = true, ids = new[] { 1L } } })
        {
            await IngestPipelineTests.AssertProblem(await Host.Http.SendAsync(Operator(HttpMethod.Post, "api/admin/dead-letters/replay", body, OperatorKey)),
                HttpStatusCode.BadRequest, "invalid-replay");
        }
        await IngestPipelineTests.AssertProblem(await Host.Http.SendAsync(Operator(HttpMethod.Post, "api/admin/dead-letters/replay",
            new { ids = Enumerable.Range(1, 1001).Select(i => (long)i).ToArray() }, OperatorKey)), HttpStatusCode.BadRequest, "too-many-ids");
    }

    [Fact]
    public async Task The_pulse_dead_letters_command_lists_and_replays_through_the_running_host()
    {
        var tenant = Guid.CreateVersion7();
        var fixedId = await InsertDeadLetterAsync(tenant, [SharedPartitionFixture.Event("/v1/cli", 1, eventId: "cli-1")]);

        var (listStatus, list) = await PulseAsync("dead-letters", "list");
        Assert.True(listStatus == 0, list);
        var row = Assert.Single(list.Split('\n'), l => l.Contains(tenant.ToString(), StringComparison.Ordinal));
        Assert.Contains(fixedId.ToString(System.Globalization.CultureInfo.InvariantCulture), row, StringComparison.Ordinal);
        Assert.Contains("dead", row, StringComparison.Ordinal);
        Assert.DoesNotContain(OperatorKey, list, StringComparison.Ordinal);

        var (replayStatus, replay) = await PulseAsync("dead-letters", "replay", fixedId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(replayStatus == 0, replay);
        Assert.Contains("replayed", replay, StringComparison.Ordinal);
        Assert.Equal(1, (await Host.StoredEventsAsync(tenant)).Count(e => e.Event.EventId == "cli-1"));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM dead_letters WHERE id = $1 AND state = 'replayed'", fixedId));

        var (badStatus, bad) = await PulseAsync("dead-letters", "replay");
        Assert.NotEqual(0, badStatus);
        Assert.Contains("usage", bad, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<JsonDocument> ReplayAsync(object body)
    {
        using var response = await Host.Http.SendAsync(Operator(HttpMethod.Post, "api/admin/dead-letters/replay", body, OperatorKey));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text);
    }

    /// <summary>A dead letter as the consumer writes one for a whole message: the envelope, its tenant and counts.</summary>
    private async Task<long> InsertDeadLetterAsync(Guid tenant, IReadOnlyList<ApiEvent> events)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO dead_letters (consumer_group, partition_id, sequence_number, body, tenant_id, event_count, last_error)
            VALUES ('alerts', '0', 0, $1, $2, $3, 'the database was unreachable') RETURNING id
            """, connection);
        insert.Parameters.AddWithValue(SharedPartitionFixture.Envelope(tenant, events));
        insert.Parameters.AddWithValue(tenant);
        insert.Parameters.AddWithValue(events.Count);
        return (long)(await insert.ExecuteScalarAsync())!;
    }

    /// <summary>Runs <c>./pulse</c> against this host, with the key as the host's setting would give it.</summary>
    private async Task<(int Status, string Output)> PulseAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "pulse"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestEnvironment.RepoRoot,
        };
        start.Environment["PULSE_PORT"] = Host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Operations__OperatorKey"] = OperatorKey;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
