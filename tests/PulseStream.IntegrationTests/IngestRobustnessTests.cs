using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Whatever a client sends, the ingest edge answers with a precise 4xx or accepts it: never a 500.</summary>
public class IngestRobustnessTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<HttpResponseMessage> PostRawAsync(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Api-Key", Host.Demo.ApiKey);
        return await Host.Http.SendAsync(request);
    }

    private static IEnumerable<byte[]> Hostile(Random random)
    {
        var valid = JsonSerializer.SerializeToUtf8Bytes(Payloads.Batch(Enumerable.Range(0, 5).Select(_ => Payloads.Event())));
        yield return Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000));
        yield return Encoding.UTF8.GetBytes("{\"events\":[" + new string('{', 100) + "]}");
        yield return Encoding.UTF8.GetBytes("{\"events\":[{\"timestamp\":\"2026-01-01T00:00:00Z\",\"method\":\"GET\",\"path\":\"/x\",\"statusCode\":1e400,\"latencyMs\":1}]}");
        yield return Encoding.UTF8.GetBytes("{\"events\":[{\"timestamp\":\"2026-01-01T00:00:00Z\",\"method\":\"GET\",\"path\":\"/x\",\"statusCode\":200,\"latencyMs\":NaN}]}");
        yield return Encoding.UTF8.GetBytes("{\"events\":[{\"statusCode\":200,\"statusCode\":\"x\",\"path\":\"/" + new string('p', 100_000) + "\"}]}");
        yield return [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D];
        yield return Encoding.UTF8.GetBytes("{\"events\":\"not an array\"}");
        yield return Encoding.UTF8.GetBytes("null");
        yield return Encoding.UTF8.GetBytes("{\"events\":[{\"timestamp\":\"2026-01-01T00:00:00Z\",\"method\":\"GET\",\"path\":\"/\\ud800\",\"statusCode\":200,\"latencyMs\":1,\"attributes\":{\"\\udc00\":\"v\"}}]}");
        yield return [];
        for (var i = 0; i < 300; i++)
        {
            var mutated = (byte[])valid.Clone();
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits; e++)
            {
                switch (random.Next(4))
                {
                    case 0: mutated[random.Next(mutated.Length)] = (byte)random.Next(256); break;
                    case 1: mutated = mutated[..random.Next(mutated.Length)]; if (mutated.Length == 0) mutated = [(byte)'{']; break;
                    case 2: mutated[random.Next(mutated.Length)] = "{}[]\",:0-eE.\\"u8[random.Next(13)]; break;
                    default: var at = random.Next(mutated.Length); mutated = [.. mutated[..at], .. "\"x\":1,"u8, .. mutated[at..]]; break;
                }
            }
            yield return mutated;
        }
    }

    [Fact]
    public async Task Random_and_hostile_bodies_never_cause_a_server_error()
    {
        var statuses = new Dictionary<HttpStatusCode, int>();
        foreach (var body in Hostile(new Random(42)))
        {
            using var response = await PostRawAsync(body);
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for a body starting {Encoding.UTF8.GetString(body[..Math.Min(80, body.Length)])}\n{Host.Output[^Math.Min(4000, Host.Output.Length)..]}");
            if (response.StatusCode != HttpStatusCode.Accepted)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.BadRequest) > 100);
    }

    [Fact]
    public async Task In_a_mixed_batch_every_valid_event_is_accepted_whatever_its_neighbours_are()
    {
        var random = new Random(7);
        object Junk() => random.Next(6) switch
        {
            0 => "a string",
            1 => 12345,
            2 => new { timestamp = "yesterday", method = "GET", path = "/x", statusCode = 200, latencyMs = 1 },
            3 => new { timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = "/x", statusCode = 200, latencyMs = double.MaxValue },
            4 => new { deep = new { deeper = new { deepest = new[] { 1, 2, 3 } } } },
            _ => new { timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "BREW", path = "/coffee", statusCode = 418, latencyMs = 1 },
        };
        var items = Enumerable.Range(0, 500).Select(i => i % 3 == 0 ? Payloads.Event("/v1/mixed") : Junk()).ToList();
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new { events = items }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(items.Count(i => i.GetType().GetProperty("route") is not null), body.GetProperty("accepted").GetInt32());
        Assert.Equal(500 - body.GetProperty("accepted").GetInt32(), body.GetProperty("rejected").GetInt32());
    }

    [Fact]
    public async Task When_events_cannot_be_durably_published_the_client_gets_503_with_retry_after_not_202()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Outage Co", $"o-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        await using var admin = new NpgsqlConnection(Host.ConnectionString);
        await admin.OpenAsync();
        async Task Privilege(string verb)
        {
            await using var command = new NpgsqlCommand($"{verb} INSERT ON event_log_messages {(verb == "GRANT" ? "TO" : "FROM")} {Host.AppRole}", admin);
            await command.ExecuteNonQueryAsync();
        }

        // The log refuses writes: nothing may be acknowledged.
        await Privilege("REVOKE");
        try
        {
            using var refused = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event("/v1/outage"), tenant.ApiKey));
            await IngestPipelineTests.AssertProblem(refused, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.True(refused.Headers.Contains("Retry-After"));
        }
        finally
        {
            await Privilege("GRANT");
        }
        using var accepted = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event("/v1/outage"), tenant.ApiKey));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await Host.StoredEventCountAsync(tenant.TenantId) == 1, TimeSpan.FromSeconds(20)));
        await Task.Delay(1000);
        Assert.Equal(1, await Host.StoredEventCountAsync(tenant.TenantId));
    }
}
