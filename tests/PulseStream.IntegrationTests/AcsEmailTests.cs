using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A stand-in for the Azure Communication Services Email endpoint on loopback: verifies each request's HMAC-SHA256
/// signature as the service documents it (string to sign <c>POST\n{path and query}\n{x-ms-date};{host};{content hash}</c>,
/// key = the base64-decoded access key, content hash = base64 SHA-256 of the body) and answers as the service does:
/// 202 with <c>Operation-Location</c>, or 401 when the signature or hash does not match.
/// </summary>
public sealed class AcsEmailFixture : IAsyncLifetime
{
    public byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    public ConcurrentQueue<(bool Valid, string Why, JsonElement Body)> Verdicts { get; } = new();
    /// <summary>Each status request: the operation, whether its signature verified, when it came.</summary>
    public ConcurrentQueue<(Guid Operation, bool Valid, string Why, DateTimeOffset At)> Polls { get; } = new();
    // Per operation: its final status (chosen by the first recipient's name) and how often it was asked already.
    private readonly ConcurrentDictionary<Guid, (string Final, int Polls)> _operations = new();
    public RecordingReceiver Service { get; private set; } = null!;
    public LocalHostProcess Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Service = await RecordingReceiver.StartAsync((request, context) =>
        {
            if (request.Method == "GET") return Task.FromResult(AnswerPoll(request, context));
            var why = Verify(request, context.Request.Host.Value ?? "");
            using var body = JsonDocument.Parse(request.Body.Length == 0 ? "{}"u8.ToArray() : request.Body);
            Verdicts.Enqueue((why is null, why ?? "", body.RootElement.Clone()));
            if (why is not null)
                return Task.FromResult(Results.Json(new { error = new { code = "Denied", message = why } }, statusCode: 401));
            var operation = Guid.NewGuid();
            var first = body.RootElement.GetProperty("recipients").GetProperty("to")[0].GetProperty("address").GetString()!;
            _operations[operation] = (first.StartsWith("failed-", StringComparison.Ordinal) ? "Failed"
                : first.StartsWith("canceled-", StringComparison.Ordinal) ? "Canceled" : "Succeeded", 0);
            context.Response.Headers["Operation-Location"] = $"http://{context.Request.Host}/emails/operations/{operation}?api-version=2023-03-31";
            context.Response.Headers["retry-after"] = "1";
            return Task.FromResult(Results.Json(new { id = operation, status = "Running" }, statusCode: 202));
        });
        Host = await LocalHostProcess.StartAsync("pulse_acs", settings =>
        {
            settings["Email__Transport"] = "acs";
            settings["Email__Acs__Endpoint"] = $"http://127.0.0.1:{Service.Port}";
            settings["Email__Acs__AccessKey"] = Convert.ToBase64String(Key);
            settings["Email__From"] = "DoNotReply@contoso.test";
            settings["Auth__Signup__PerAddressPerHour"] = "1000";
            settings["Auth__Signup__PerMinute"] = "1000";
            settings["Auth__Signup__Burst"] = "1000";
        });
    }

    /// <summary>
    /// <c>GET /emails/operations/{id}</c>, signed as every request: <c>Running</c> with <c>retry-after: 1</c> the first
    /// time, then the operation's final status (with an <c>error</c> when it failed), as the service answers it.
    /// </summary>
    private IResult AnswerPoll(ReceivedRequest request, HttpContext context)
    {
        var path = request.PathAndQuery;
        const string prefix = "/emails/operations/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || !path.EndsWith("?api-version=2023-03-31", StringComparison.Ordinal)
            || !Guid.TryParse(path[prefix.Length..path.IndexOf('?')], out var id) || !_operations.TryGetValue(id, out var operation))
            return Results.Json(new { error = new { code = "NotFound", message = "no such operation" } }, statusCode: 404);
        var why = Verify(request, context.Request.Host.Value ?? "", "GET");
        Polls.Enqueue((id, why is null, why ?? "", DateTimeOffset.UtcNow));
        if (why is not null) return Results.Json(new { error = new { code = "Denied", message = why } }, statusCode: 401);
        _operations[id] = operation with { Polls = operation.Polls + 1 };
        if (operation.Polls == 0)
        {
            context.Response.Headers["retry-after"] = "1";
            return Results.Json(new { id, status = "Running" });
        }
        return operation.Final == "Succeeded"
            ? Results.Json(new { id, status = operation.Final })
            : Results.Json(new { id, status = operation.Final, error = new { code = "EmailDropped", message = "The recipient's server refused the message." } });
    }

    private string? Verify(ReceivedRequest request, string host, string method = "POST")
    {
        if (method == "POST" && (request.Method != "POST" || !request.PathAndQuery.StartsWith("/emails:send?api-version=2023-03-31", StringComparison.Ordinal))) return "wrong route";
        if (!DateTimeOffset.TryParse(request.Header("x-ms-date"), out var date) || (DateTimeOffset.UtcNow - date).Duration() > TimeSpan.FromMinutes(15)) return "x-ms-date missing or stale";
        var hash = Convert.ToBase64String(SHA256.HashData(request.Body));
        if (request.Header("x-ms-content-sha256") != hash) return "content hash does not match the body";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes($"{method}\n{request.PathAndQuery}\n{request.Header("x-ms-date")};{host};{hash}")));
        return request.Header("Authorization") == $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={expected}" ? null : "signature does not match";
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Service.DisposeAsync();
    }
}

/// <summary>E-mail channels through the ACS transport, against a receiver that checks the signing.</summary>
public class AcsEmailTests(AcsEmailFixture fixture) : IClassFixture<AcsEmailFixture>
{
    private static async Task<(string Id, JsonElement Outcome)> CreateAndTestAsync(LocalHostProcess host, Member owner, string[] recipients)
    {
        using var created = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken, new { type = "email", name = "ACS mail", recipients }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var test = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, $"api/v1/channels/{id}/test", owner.AccessToken));
        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        return (id, await test.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task After_the_202_the_operation_is_polled_as_retry_after_asks_until_its_final_status_which_the_outcome_records()
    {
        var host = fixture.Host;
        var owner = await People.SignupAsync(host, "Acs Poll Co");
        var polledBefore = fixture.Polls.Select(p => p.Operation).ToHashSet();
        var (_, outcome) = await CreateAndTestAsync(host, owner, [$"poll-{Guid.NewGuid():N}@example.com"]);
        Assert.True(outcome.GetProperty("delivered").GetBoolean(), outcome.ToString());
        Assert.Equal(202, outcome.GetProperty("statusCode").GetInt32());
        Assert.Equal("Succeeded", outcome.GetProperty("detail").GetString());
        // Two signed status requests for this message: Running (retry-after: 1), then Succeeded, a second apart at least.
        var polls = fixture.Polls.Where(p => !polledBefore.Contains(p.Operation)).ToList();
        Assert.Equal(2, polls.Count);
        Assert.Single(polls.Select(p => p.Operation).Distinct());
        Assert.All(polls, p => Assert.True(p.Valid, p.Why));
        Assert.True(polls[1].At - polls[0].At >= TimeSpan.FromMilliseconds(900), $"{(polls[1].At - polls[0].At).TotalMilliseconds} ms between polls");

        // Failed and Canceled are failures that say so, and are not retried.
        foreach (var final in new[] { "Failed", "Canceled" })
        {
            var (_, failed) = await CreateAndTestAsync(host, owner, [$"{final.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com"]);
            Assert.False(failed.GetProperty("delivered").GetBoolean(), failed.ToString());
            Assert.True(failed.GetProperty("permanent").GetBoolean(), failed.ToString());
            Assert.Equal(final, failed.GetProperty("detail").GetString());
            Assert.Contains($"ACS reported the e-mail {final}", failed.GetProperty("error").GetString());
            Assert.Contains("refused the message", failed.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task A_delivery_through_acs_records_the_operations_final_status_with_its_attempt()
    {
        var host = fixture.Host;
        var owner = await People.SignupAsync(host, "Acs Outbox Co");
        using var created = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken,
            new { type = "email", name = "ACS mail", recipients = new[] { $"outbox-{Guid.NewGuid():N}@example.com" } }));
        var channelId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var alertId = Guid.CreateVersion7();
        using var alert = JsonDocument.Parse(JsonSerializer.Serialize(new { id = alertId, ruleName = "Checkout errors", state = "firing", severity = "critical" }));
        var database = new PulseStream.Storage.Database(Npgsql.NpgsqlDataSource.Create(host.ConnectionString));
        await database.ForTenantAsync(owner.TenantId, (connection, transaction) =>
            PulseStream.Notifications.NotificationOutbox.EnqueueAsync(connection, transaction, owner.TenantId, [channelId], alertId, "alert.firing", alert.RootElement,
                DateTimeOffset.UtcNow, default), default);

        JsonElement delivery = default;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            var items = (await host.GetJsonAsync($"api/v1/deliveries?channelId={channelId}", owner.AccessToken)).GetProperty("items");
            if (items.GetArrayLength() == 0) return false;
            delivery = items[0];
            return delivery.GetProperty("state").GetString() == "delivered";
        }, TimeSpan.FromSeconds(60)), delivery.ToString());
        var attempt = Assert.Single(delivery.GetProperty("attempts").EnumerateArray());
        Assert.Equal(202, attempt.GetProperty("statusCode").GetInt32());
        Assert.Equal("Succeeded", attempt.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_email_test_is_sent_to_acs_signed_as_documented_and_accepted_with_202()
    {
        var host = fixture.Host;
        var owner = await People.SignupAsync(host, "Acs Co");
        var recipients = new[] { $"a-{Guid.NewGuid():N}@example.com", $"b-{Guid.NewGuid():N}@example.com" };
        using var created = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken, new { type = "email", name = "ACS mail", recipients }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var test = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, $"api/v1/channels/{id}/test", owner.AccessToken));
        var outcome = await test.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(outcome.GetProperty("delivered").GetBoolean(), outcome.ToString());
        Assert.Equal(202, outcome.GetProperty("statusCode").GetInt32());

        var (valid, why, body) = fixture.Verdicts.Single(v => v.Body.GetRawText().Contains(recipients[0], StringComparison.Ordinal));
        Assert.True(valid, why);
        Assert.Equal("DoNotReply@contoso.test", body.GetProperty("senderAddress").GetString());
        Assert.Equal(recipients, body.GetProperty("recipients").GetProperty("to").EnumerateArray().Select(r => r.GetProperty("address").GetString()));
        Assert.Equal("[PulseStream] Test notification", body.GetProperty("content").GetProperty("subject").GetString());
        Assert.Contains("the channel works", body.GetProperty("content").GetProperty("plainText").GetString());
        Assert.Contains("<h2>", body.GetProperty("content").GetProperty("html").GetString());
    }

    [Fact]
    public async Task The_stand_in_refuses_a_request_whose_body_was_changed_after_signing()
    {
        // The check is real: the same signed headers over another body are refused, as the service would.
        var uri = new Uri($"http://127.0.0.1:{fixture.Service.Port}/emails:send?api-version=2023-03-31");
        var headers = PulseStream.Notifications.Channels.AcsEmailTransport.Sign(uri, """{"a":1}"""u8.ToArray(), DateTimeOffset.UtcNow, fixture.Key);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent("""{"a":2}""", Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
