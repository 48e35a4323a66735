using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;

namespace PulseStream.Identity;

/// <summary>
/// The one place every person-facing route checks its caller: a valid bearer token (401 otherwise) of a person who
/// is still an active member of the token's tenant (401 <c>membership-ended</c> otherwise, within
/// <see cref="MembershipCache.Lifetime"/> of a removal), whose CURRENT role, not the token's, is at least the route's
/// minimum (403 otherwise). The tenant always comes from the token, never from the request.
/// </summary>
public sealed class CallerAuthenticator(TokenService tokens, MembershipCache memberships)
{
    public sealed record Outcome(Caller? Caller, IActionResult? Failure);

    public async Task<Outcome> AuthenticateAsync(HttpRequest request, Role minimum)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return new(null, ApiResults.Unauthorized("missing-token", "Send an access token in the Authorization header as 'Bearer <token>'."));
        var claimed = await tokens.ValidateAsync(header["Bearer ".Length..].Trim());
        if (claimed is null)
            return new(null, ApiResults.Unauthorized("invalid-token", "The access token is invalid or expired."));
        if (await memberships.CurrentRoleAsync(claimed.TenantId, claimed.UserId, request.HttpContext.RequestAborted) is not { } role)
            return new(null, MembershipEnded());
        var caller = claimed with { Role = role };
        if (caller.Role < minimum)
            return new(null, ApiResults.Forbidden($"This needs the {Roles.ToClaim(minimum)} role or higher."));
        return new(caller, null);
    }

    /// <summary>Authenticates, then runs <paramref name="action"/> for the caller; failures short-circuit.</summary>
    public async Task<IActionResult> RunAsync(HttpRequest request, Role minimum, Func<Caller, Task<IActionResult>> action)
    {
        var outcome = await AuthenticateAsync(request, minimum);
        return outcome.Failure ?? await action(outcome.Caller!);
    }

    public static IActionResult MembershipEnded() =>
        ApiResults.Unauthorized("membership-ended", "You are no longer a member of this tenant.");
}
