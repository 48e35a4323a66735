using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using PulseStream.Http;

namespace PulseStream.Realtime;

/// <summary>The hub method names clients listen to (CONTRACT.md, "Real-time messages").</summary>
public static class RealtimeTargets
{
    public const string Events = "events";
    public const string Metrics = "metrics";
    public const string Alert = "alert";

    public static string TenantGroup(Guid tenantId) => $"tenant-{tenantId:N}";
}

/// <summary>Sends live messages to a tenant's dashboards and manages group membership and live connections.</summary>
public interface IRealtimePublisher
{
    Task SendToTenantAsync(Guid tenantId, string target, object payload, CancellationToken ct);
    Task AddUserToTenantAsync(Guid tenantId, string userId, CancellationToken ct);

    /// <summary>Takes the user out of every group (their tenant's), for their present and future connections.</summary>
    Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken ct);

    /// <summary>Closes every live connection of the user; a dashboard then has to negotiate again to reconnect.</summary>
    Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken ct);

    /// <summary>Closes one live connection.</summary>
    Task CloseConnectionAsync(string connectionId, string reason, CancellationToken ct);
}

/// <summary>
/// SignalR Service data-plane REST v1 (no output binding on this feed, DESIGN.md §4.1): each call carries a
/// short-lived server token whose audience is the request URL. Live messages are best effort: a failure is logged
/// and the dashboard catches up from the query API.
/// </summary>
public sealed class SignalRRestPublisher(HttpClient http, SignalRConnection connection, SignalRTokens tokens, ILogger<SignalRRestPublisher> logger) : IRealtimePublisher
{
    public const string HttpClientName = "signalr";

    public async Task SendToTenantAsync(Guid tenantId, string target, object payload, CancellationToken ct)
    {
        var path = $"/api/v1/hubs/{SignalRConnection.Hub}/groups/{RealtimeTargets.TenantGroup(tenantId)}";
        try
        {
            using var response = await SendAsync(HttpMethod.Post, path, JsonContent.Create(new { target, arguments = new[] { payload } }, options: Json.Options), ct);
            if (!response.IsSuccessStatusCode)
                logger.LogWarning("SignalR send to {Target} answered {Status}", target, (int)response.StatusCode);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Anything, a timeout included (HttpClient reports it as a cancellation the caller did not ask for): a live
            // message is best effort and must never fail the request or consumer batch that caused it.
            logger.LogWarning("SignalR send to {Target} failed: {Error}", target, e.Message);
        }
    }

    public async Task AddUserToTenantAsync(Guid tenantId, string userId, CancellationToken ct)
    {
        var path = $"/api/v1/hubs/{SignalRConnection.Hub}/groups/{RealtimeTargets.TenantGroup(tenantId)}/users/{Uri.EscapeDataString(userId)}";
        using var response = await SendAsync(HttpMethod.Put, path, null, ct);
        response.EnsureSuccessStatusCode();
    }

    public async Task RemoveUserFromAllGroupsAsync(string userId, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/api/v1/hubs/{SignalRConnection.Hub}/users/{Uri.EscapeDataString(userId)}/groups", null, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>REST v1 has no call for this; the 2022-06-01 API does (<c>POST .../users/{user}/:closeConnections</c>, 204).</summary>
    public async Task CloseUserConnectionsAsync(string userId, string reason, CancellationToken ct)
    {
        var path = $"/api/hubs/{SignalRConnection.Hub}/users/{Uri.EscapeDataString(userId)}/:closeConnections";
        using var response = await SendAsync(HttpMethod.Post, path, null, ct, $"?api-version=2022-06-01&reason={Uri.EscapeDataString(reason)}");
        response.EnsureSuccessStatusCode();
    }

    public async Task CloseConnectionAsync(string connectionId, string reason, CancellationToken ct)
    {
        var path = $"/api/v1/hubs/{SignalRConnection.Hub}/connections/{Uri.EscapeDataString(connectionId)}";
        using var response = await SendAsync(HttpMethod.Delete, path, null, ct, $"?reason={Uri.EscapeDataString(reason)}");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The token's audience is the request URL without its query (AZURE.md).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct, string query = "")
    {
        var (requestUrl, audience) = connection.Rest(path);
        using var request = new HttpRequestMessage(method, requestUrl + query) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.ServerToken(audience));
        return await http.SendAsync(request, ct);
    }
}
