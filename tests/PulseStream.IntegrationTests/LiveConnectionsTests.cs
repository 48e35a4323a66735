using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// <c>GET /api/v1/dashboard/connections</c> counts a tenant's open dashboards from the SignalR Service's upstream
/// connection events: a connect adds one, a close or the member's removal takes it away, and no tenant sees another's.
/// </summary>
public class LiveConnectionsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<HubConnection> ConnectAsync(string bearer)
    {
        var (url, accessToken) = await Host.NegotiateAsync(bearer);
        var connection = new HubConnectionBuilder().WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken)).Build();
        await connection.StartAsync();
        return connection;
    }

    private Task<JsonElement> ConnectionsAsync(string token) => Host.GetJsonAsync("api/v1/dashboard/connections", token);

    private async Task<bool> TotalBecomesAsync(string token, int total) =>
        await LocalHostProcess.EventuallyAsync(async () => (await ConnectionsAsync(token)).GetProperty("total").GetInt32() == total, TimeSpan.FromSeconds(15));

    [Fact]
    public async Task Open_dashboards_are_counted_per_member_and_a_close_or_a_removal_takes_them_away()
    {
        var owner = await People.SignupAsync(Host, "Connections Co");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");
        var stranger = await People.SignupAsync(Host, "Other Connections Co");

        var first = await ConnectAsync(owner.AccessToken);
        await using var second = await ConnectAsync(owner.AccessToken);
        await using var viewers = await ConnectAsync(viewer.AccessToken);
        await using var strangers = await ConnectAsync(stranger.AccessToken);

        Assert.True(await TotalBecomesAsync(owner.AccessToken, 3));
        var body = await ConnectionsAsync(owner.AccessToken);
        var users = body.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal([(owner.Email, "owner", 2), (viewer.Email, "viewer", 1)],
            users.Select(u => (u.GetProperty("email").GetString(), u.GetProperty("role").GetString(), u.GetProperty("connections").GetInt32())));
        Assert.Equal(owner.Id, users[0].GetProperty("userId").GetGuid());
        Assert.True(users[0].GetProperty("since").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(await TotalBecomesAsync(stranger.AccessToken, 1), "the other tenant counts only its own");

        await first.DisposeAsync();
        Assert.True(await TotalBecomesAsync(owner.AccessToken, 2), "a closed dashboard stops counting");

        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{viewer.Id}", owner.AccessToken)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.True(await TotalBecomesAsync(owner.AccessToken, 1), "a removed member's dashboards stop counting");
    }

    [Fact]
    public async Task Only_an_admin_may_read_the_connections()
    {
        var owner = await People.SignupAsync(Host, "Connections Roles Co");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");
        var admin = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "admin");

        var (viewerStatus, _) = await Host.SendJsonAsync(HttpMethod.Get, "api/v1/dashboard/connections", viewer.AccessToken);
        var (adminStatus, adminBody) = await Host.SendJsonAsync(HttpMethod.Get, "api/v1/dashboard/connections", admin.AccessToken);
        using var anonymous = await Host.Http.GetAsync("api/v1/dashboard/connections");

        Assert.Equal(HttpStatusCode.Forbidden, viewerStatus);
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Equal(0, adminBody.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
