using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Live updates through negotiate and the SignalR Service surface, as a browser would receive them.</summary>
public class RealtimeTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<(HubConnection Connection, Channel<JsonElement> Events, Channel<JsonElement> Metrics)> ConnectAsync(string token)
    {
        var (url, accessToken) = await Host.NegotiateAsync(token);
        Assert.StartsWith(Host.BaseUrl.ToString(), url);

        var connection = new HubConnectionBuilder()
            .WithUrl(url, options => options.AccessTokenProvider = () => Task.FromResult<string?>(accessToken))
            .Build();
        var events = Channel.CreateUnbounded<JsonElement>();
        var metrics = Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("events", batch => { foreach (var e in batch.EnumerateArray()) events.Writer.TryWrite(e); });
        connection.On<JsonElement>("metrics", tick => metrics.Writer.TryWrite(tick));
        await connection.StartAsync();
        return (connection, events, metrics);
    }

    [Fact]
    public async Task A_connection_made_through_negotiate_receives_its_tenants_events_and_metrics_and_no_other_tenants()
    {
        var other = await Provisioning.For(Host).CreateTenantAsync("Other Co", $"r-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var (mine, myEvents, myMetrics) = await ConnectAsync(await Host.LoginAsync());
        var (theirs, theirEvents, _) = await ConnectAsync(await Host.LoginAsync(other.OwnerEmail, "a long password 123"));
        await using var _1 = mine;
        await using var _2 = theirs;

        var marker = Guid.NewGuid().ToString("N");
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, 5).Select(i => Payloads.Event("/v1/live", 200 + i, 12, eventId: $"{marker}-{i}")))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new HashSet<string>();
        while (received.Count < 5)
        {
            var e = await myEvents.Reader.ReadAsync(timeout.Token);
            if (e.GetProperty("eventId").GetString() is { } id && id.StartsWith(marker, StringComparison.Ordinal))
            {
                received.Add(id);
                Assert.Equal("/v1/live", e.GetProperty("route").GetString());
                Assert.True(e.TryGetProperty("receivedAt", out _));
            }
        }
        var tick = await myMetrics.Reader.ReadAsync(timeout.Token);
        Assert.True(tick.GetProperty("requests").GetInt64() >= 1);

        // The other tenant's connection saw none of it.
        await Task.Delay(1000);
        while (theirEvents.Reader.TryRead(out var leaked))
            Assert.DoesNotContain(marker, leaked.GetProperty("eventId").GetString() ?? "");
    }

    [Fact]
    public async Task Negotiate_needs_a_token_and_the_service_refuses_forged_client_tokens()
    {
        using var anonymous = await Host.Http.PostAsync("api/negotiate", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var forged = new HubConnectionBuilder()
            .WithUrl(new Uri(Host.BaseUrl, "signalr/client/?hub=pulse"), o => o.AccessTokenProvider = () => Task.FromResult<string?>("eyJhbGciOiJIUzI1NiJ9.eyJuYW1laWQiOiJ4In0.c2lnbmF0dXJl"))
            .Build();
        await using var _ = forged;
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => forged.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }
}
