using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;
using PulseStream.Identity;

namespace PulseStream.Realtime;

public sealed record NegotiateResponse(string Url, string AccessToken);

/// <summary>
/// Serverless-mode negotiate: signs a client token for the caller and adds the caller to their tenant's group, so
/// the connection receives its own tenant's messages and nothing else. The caller's membership was checked on the
/// way in (<see cref="CallerAuthenticator"/>); the service checks it again on connect through the upstream.
/// </summary>
public sealed class NegotiateService(SignalRConnection connection, SignalRTokens tokens, IRealtimePublisher realtime)
{
    public async Task<IActionResult> NegotiateAsync(Caller caller, CancellationToken ct)
    {
        var userId = caller.UserId.ToString();
        await realtime.AddUserToTenantAsync(caller.TenantId, userId, ct);
        return ApiResults.Ok(new NegotiateResponse(connection.ClientUrl, tokens.ClientToken(userId, caller.TenantId)));
    }
}
