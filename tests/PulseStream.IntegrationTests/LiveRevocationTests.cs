using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Realtime;
using PulseStream.Testing;
using Xunit.Abstractions;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The live feed ends with membership: removal closes a member's open connections and takes them out of the
/// tenant's group, negotiate refuses them, and a client token negotiated before the removal cannot open a
/// connection after it (the upstream refuses it on connect).
/// </summary>
public class LiveRevocationTests(HostFixture fixture, ITestOutputHelper output) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>A live connection as the dashboard holds one, with what it received and when it closed.</summary>
    private sealed class Live(HubConnection connection) : IAsyncDisposable
    {
        public HubConnection Connection { get; } = connection;
        public Channel<string> EventIds { get; } = Channel.CreateUnbounded<string>();
        public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private sealed record Tenant(Guid Id, string ApiKey, Member Owner);

    private async Task<Tenant> TenantAsync()
    {
        var email = $"live-{Guid.NewGuid():N}@example.com";
        var provisioned = await Provisioning.For(Host).CreateTenantAsync("Live Co", email, People.Password, default);
        var token = await Host.LoginAsync(email, People.Password);
        return new Tenant(provisioned.TenantId, provisioned.ApiKey, new Member(provisioned.TenantId, provisioned.OwnerId, email, token, ""));
    }

    private Task<(string Url, string AccessToken)> NegotiateAsync(string bearer) => Host.NegotiateAsync(bearer);

    /// <summary>Connects with a client token; refused connections are returned too (check <see cref="Live.Closed"/>).</summary>
    private static async Task<Live> ConnectAsync((string Url, string AccessToken) negotiated)
    {
        var live = new Live(new HubConnectionBuilder()
            .WithUrl(negotiated.Url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(negotiated.AccessToken))
            .Build());
        live.Connection.On<JsonElement>(RealtimeTargets.Events, batch =>
        {
            foreach (var e in batch.EnumerateArray())
                if (e.TryGetProperty("eventId", out var id) && id.GetString() is { } text) live.EventIds.Writer.TryWrite(text);
        });
        live.Connection.Closed += e => { live.Closed.TrySetResult(e); return Task.CompletedTask; };
        try
        {
            await live.Connection.StartAsync();
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
        {
            live.Closed.TrySetResult(e);
        }
        return live;
    }

    private async Task SendEventsAsync(Tenant tenant, string marker, int count = 3)
    {
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch",
            Payloads.Batch(Enumerable.Range(0, count).Select(i => Payloads.Event("/v1/live-revocation", 200, 10, eventId: $"{marker}-{i}"))), tenant.ApiKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task<bool> ReceivesAsync(Live live, string marker, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
                if ((await live.EventIds.Reader.ReadAsync(timeout.Token)).StartsWith(marker, StringComparison.Ordinal)) return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    private async Task<TimeSpan> ClosedWithinBoundAsync(Live live, Stopwatch since)
    {
        var closed = await Task.WhenAny(live.Closed.Task, Task.Delay(Bound)) == live.Closed.Task;
        var elapsed = since.Elapsed;
        Assert.True(closed, $"the connection was still open {Bound.TotalSeconds} s later");
        Assert.Equal(HubConnectionState.Disconnected, live.Connection.State);
        return elapsed;
    }

    [Fact]
    public async Task A_connection_opened_before_removal_is_closed_and_receives_nothing_sent_after_it()
    {
        var tenant = await TenantAsync();
        var viewer = await People.InviteAndAcceptAsync(Host, tenant.Owner.AccessToken, "viewer");
        await using var owners = await ConnectAsync(await NegotiateAsync(tenant.Owner.AccessToken));
        await using var viewers = await ConnectAsync(await NegotiateAsync(viewer.AccessToken));
        var before = Guid.NewGuid().ToString("N");
        await SendEventsAsync(tenant, before);
        Assert.True(await ReceivesAsync(viewers, before, TimeSpan.FromSeconds(20)), "the member's connection receives live events");

        var sinceRemoval = Stopwatch.StartNew();
        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{viewer.Id}", tenant.Owner.AccessToken)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        var closedAfter = await ClosedWithinBoundAsync(viewers, sinceRemoval);
        output.WriteLine($"removal request sent → the removed member's live connection closed: {closedAfter.TotalMilliseconds:F0} ms");

        var after = Guid.NewGuid().ToString("N");
        await SendEventsAsync(tenant, after);
        // The owner's connection gets them, so the removed member's silence is not for want of events.
        Assert.True(await ReceivesAsync(owners, after, TimeSpan.FromSeconds(20)));
        Assert.False(await ReceivesAsync(viewers, after, Bound), "the removed member received an event sent after the removal");
        Assert.Equal(HubConnectionState.Connected, owners.Connection.State);
    }

    [Fact]
    public async Task Negotiate_refuses_a_removed_member_and_a_token_negotiated_before_the_removal_cannot_connect_after_it()
    {
        var tenant = await TenantAsync();
        var viewer = await People.InviteAndAcceptAsync(Host, tenant.Owner.AccessToken, "viewer");
        var negotiatedBefore = await NegotiateAsync(viewer.AccessToken);

        var sinceRemoval = Stopwatch.StartNew();
        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{viewer.Id}", tenant.Owner.AccessToken)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);

        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var negotiate = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/negotiate", viewer.AccessToken));
            return negotiate.StatusCode == HttpStatusCode.Unauthorized;
        }, Bound), "negotiate still answered a removed member");
        using (var negotiate = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/negotiate", viewer.AccessToken)))
            await IngestPipelineTests.AssertProblem(negotiate, HttpStatusCode.Unauthorized, "membership-ended");
        output.WriteLine($"removal request sent → negotiate refused: {sinceRemoval.Elapsed.TotalMilliseconds:F0} ms");

        // The old client token is still validly signed and unexpired: the service would accept it, the upstream does not.
        var sinceConnect = Stopwatch.StartNew();
        await using var refused = await ConnectAsync(negotiatedBefore);
        var refusedAfter = await ClosedWithinBoundAsync(refused, sinceConnect);
        output.WriteLine($"connect with a client token negotiated before the removal → refused: {refusedAfter.TotalMilliseconds:F0} ms");
        var marker = Guid.NewGuid().ToString("N");
        await SendEventsAsync(tenant, marker);
        Assert.False(await ReceivesAsync(refused, marker, TimeSpan.FromSeconds(2)));

        // The control: a member's freshly negotiated token connects and stays connected.
        await using var owners = await ConnectAsync(await NegotiateAsync(tenant.Owner.AccessToken));
        Assert.Equal(HubConnectionState.Connected, owners.Connection.State);
        Assert.True(await SendAndReceiveAsync(tenant, owners));
    }

    /// <summary>
    /// Sends events until the connection receives one, for up to 20 s. A connection joins its tenant's group in the
    /// service's connect handler, after the upstream has accepted it, which can end after the client's start returns;
    /// what is sent before the join is not for that connection (the CI failure of a single send on a loaded machine).
    /// </summary>
    private async Task<bool> SendAndReceiveAsync(Tenant tenant, Live live)
    {
        var marker = Guid.NewGuid().ToString("N");
        var giveUp = DateTime.UtcNow.AddSeconds(20);
        for (var attempt = 0; DateTime.UtcNow < giveUp; attempt++)
        {
            await SendEventsAsync(tenant, $"{marker}-{attempt}");
            if (await ReceivesAsync(live, marker, TimeSpan.FromSeconds(2))) return true;
        }
        return false;
    }

    [Fact]
    public async Task A_role_change_closes_the_members_connections_and_a_fresh_negotiate_brings_them_back()
    {
        var tenant = await TenantAsync();
        var admin = await People.InviteAndAcceptAsync(Host, tenant.Owner.AccessToken, "admin");
        await using var first = await ConnectAsync(await NegotiateAsync(admin.AccessToken));
        Assert.Equal(HubConnectionState.Connected, first.Connection.State);

        var sinceChange = Stopwatch.StartNew();
        using (var demote = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{admin.Id}", tenant.Owner.AccessToken, new { role = "viewer" })))
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        var closedAfter = await ClosedWithinBoundAsync(first, sinceChange);
        output.WriteLine($"role change request sent → the member's live connection closed: {closedAfter.TotalMilliseconds:F0} ms");

        // Still a member (now a viewer): negotiating again, as the dashboard does on reconnect, works.
        await using var again = await ConnectAsync(await NegotiateAsync(admin.AccessToken));
        Assert.Equal(HubConnectionState.Connected, again.Connection.State);
        Assert.True(await SendAndReceiveAsync(tenant, again));
    }

    [Fact]
    public async Task The_upstream_refuses_requests_without_the_services_signature_and_judges_signed_ones_by_membership()
    {
        var tenant = await TenantAsync();
        var accessKey = LocalSettingsSecret("signalRAccessKey");
        async Task<HttpResponseMessage> PostAsync(string connectionId, string? signature, Guid user)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/signalr/upstream/pulse/connections/connected")
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(UpstreamProtocol.ConnectionIdHeader, connectionId);
            request.Headers.Add(UpstreamProtocol.HubHeader, "pulse");
            request.Headers.Add(UpstreamProtocol.CategoryHeader, "connections");
            request.Headers.Add(UpstreamProtocol.EventHeader, "connected");
            request.Headers.Add(UpstreamProtocol.UserIdHeader, user.ToString());
            request.Headers.Add(UpstreamProtocol.UserClaimsHeader, $"nameid: {user}, {SignalRTokens.TenantClaim}: {tenant.Id}");
            if (signature is not null) request.Headers.Add(UpstreamProtocol.SignatureHeader, signature);
            return await Host.Http.SendAsync(request);
        }

        var connectionId = Guid.NewGuid().ToString("N");
        using (var unsigned = await PostAsync(connectionId, null, tenant.Owner.Id))
            await IngestPipelineTests.AssertProblem(unsigned, HttpStatusCode.Unauthorized, "invalid-signature");
        using (var wrongKey = await PostAsync(connectionId, UpstreamProtocol.Sign("not the access key", connectionId), tenant.Owner.Id))
            await IngestPipelineTests.AssertProblem(wrongKey, HttpStatusCode.Unauthorized, "invalid-signature");
        using (var otherConnection = await PostAsync(connectionId, UpstreamProtocol.Sign(accessKey, "another connection"), tenant.Owner.Id))
            await IngestPipelineTests.AssertProblem(otherConnection, HttpStatusCode.Unauthorized, "invalid-signature");

        // Signed as the service signs (one signature per access key, the primary and the secondary).
        var signed = $"{UpstreamProtocol.Sign("the secondary key", connectionId)},{UpstreamProtocol.Sign(accessKey, connectionId).ToLowerInvariant()}";
        using (var member = await PostAsync(connectionId, signed, tenant.Owner.Id))
            Assert.Equal(HttpStatusCode.NoContent, member.StatusCode);
        using (var stranger = await PostAsync(connectionId, signed, Guid.NewGuid()))
            await IngestPipelineTests.AssertProblem(stranger, HttpStatusCode.Forbidden, "membership-ended");
    }

    /// <summary>A secret the local host generated for itself (its SignalR access key), as the service would hold it.</summary>
    private string LocalSettingsSecret(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Host.StateDir, "secrets.json"))).RootElement.GetProperty(name).GetString()!;
}
