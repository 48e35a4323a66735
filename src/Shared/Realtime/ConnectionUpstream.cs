using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Realtime;

/// <summary>
/// The serverless upstream protocol's request headers and signature (docs/ARCHITECTURE.md, "Live connections"):
/// <c>X-ASRS-Signature</c> is <c>sha256=&lt;hex HMAC-SHA256 of the connection id&gt;</c>, one per access key,
/// comma-separated; <c>X-ASRS-User-Claims</c> is <c>name: value, name: value</c>.
/// </summary>
public static class UpstreamProtocol
{
    public const string ConnectionIdHeader = "X-ASRS-Connection-Id";
    public const string HubHeader = "X-ASRS-Hub";
    public const string CategoryHeader = "X-ASRS-Category";
    public const string EventHeader = "X-ASRS-Event";
    public const string UserIdHeader = "X-ASRS-User-Id";
    public const string UserClaimsHeader = "X-ASRS-User-Claims";
    public const string SignatureHeader = "X-ASRS-Signature";

    public static string Sign(string accessKey, string connectionId) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKey), Encoding.UTF8.GetBytes(connectionId)));

    /// <summary>Whether any of the header's signatures is the connection id's under <paramref name="accessKey"/>.</summary>
    public static bool IsSigned(string accessKey, string connectionId, string? signatureHeader)
    {
        if (string.IsNullOrEmpty(signatureHeader) || signatureHeader.Length > 1024) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(accessKey, connectionId).ToUpperInvariant());
        var match = false;
        foreach (var candidate in signatureHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            match |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate.ToUpperInvariant()));
        return match;
    }

    public static string? Claim(string? claimsHeader, string name)
    {
        if (string.IsNullOrEmpty(claimsHeader)) return null;
        foreach (var pair in claimsHeader.Split(','))
            if (pair.Split(": ", 2) is [var key, var value] && key.Trim() == name) return value.Trim();
        return null;
    }
}

/// <summary>
/// SignalR Service's serverless upstream for connection events. The service knows nothing of membership, so a
/// client token it accepts may belong to someone removed since negotiate. On <c>connected</c> this checks that the
/// token's user is still an active member of the token's tenant; if not it closes the connection through the REST
/// API (the service treats <c>connected</c> as a notification, so the close is what ends it) and answers 403,
/// which the local SignalR surface takes as a refusal. A member's connection is recorded in
/// <see cref="LiveConnections"/>, and forgotten on <c>disconnected</c>.
/// </summary>
public sealed class ConnectionUpstream(SignalRConnection connection, MembershipCache memberships, IRealtimePublisher realtime,
    LiveConnections live, ILogger<ConnectionUpstream> logger)
{
    public async Task<IActionResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        var headers = request.Headers;
        var connectionId = headers[UpstreamProtocol.ConnectionIdHeader].ToString();
        if (connectionId.Length is 0 or > 256 || !UpstreamProtocol.IsSigned(connection.AccessKey, connectionId, headers[UpstreamProtocol.SignatureHeader]))
            return ApiResults.Unauthorized("invalid-signature", "The upstream request is not signed by the SignalR Service.");
        if (!string.Equals(headers[UpstreamProtocol.HubHeader], SignalRConnection.Hub, StringComparison.OrdinalIgnoreCase)
            || headers[UpstreamProtocol.CategoryHeader] != "connections")
            return ApiResults.NotFound("This upstream handles the connection events of the pulse hub only.");

        var user = headers[UpstreamProtocol.UserIdHeader].ToString();
        var tenant = UpstreamProtocol.Claim(headers[UpstreamProtocol.UserClaimsHeader], SignalRTokens.TenantClaim);
        var parsed = Guid.TryParse(user, out var userId) & Guid.TryParse(tenant, out var tenantId);
        switch (headers[UpstreamProtocol.EventHeader].ToString())
        {
            case "disconnected":
                if (parsed) await live.ForgetAsync(tenantId, connectionId, ct);
                return ApiResults.NoContent();
            case "connected":
                break;
            default:
                return ApiResults.NoContent();
        }

        if (parsed && await memberships.CurrentRoleAsync(tenantId, userId, ct) is not null)
        {
            await live.RecordAsync(tenantId, userId, connectionId, ct);
            return ApiResults.NoContent();
        }

        logger.LogInformation("Closing live connection {ConnectionId}: its user is not a member of its tenant", connectionId);
        try
        {
            await realtime.CloseConnectionAsync(connectionId, "membership-ended", ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Closing live connection {ConnectionId} failed: {Error}", connectionId, e.Message);
        }
        return ApiResults.Problem(StatusCodes.Status403Forbidden, "membership-ended", "The membership has ended.", "This live connection is refused.");
    }
}
