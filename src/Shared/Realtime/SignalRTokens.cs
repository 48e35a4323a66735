using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PulseStream.Realtime;

/// <summary>
/// Signs SignalR Service tokens as the service expects (AZURE.md): HS256 with the UTF-8 bytes of the access key,
/// audience = the client URL or the REST request URL, <c>nameid</c> = the user id, an expiry. Client tokens also
/// carry the tenant (<see cref="TenantClaim"/>), which the service hands to the upstream on connect.
/// </summary>
public sealed class SignalRTokens(SignalRConnection connection, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>
    /// Ten minutes: a client token is only needed to (re)connect, and the dashboard negotiates a fresh one on every
    /// reconnect, so a short life costs nothing; it bounds how long a token copied before its holder's removal could
    /// open a connection if the upstream membership check were ever unreachable, and still leaves room for clock skew
    /// between the app and the service and for the client's reconnect back-off.
    /// </summary>
    public static readonly TimeSpan ClientTokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The client-token claim naming the tenant (a name no JWT library maps to another claim type).</summary>
    public const string TenantClaim = "pulse.tid";

    public SymmetricSecurityKey Key { get; } = new(Encoding.UTF8.GetBytes(connection.AccessKey));

    public string ClientToken(string userId, Guid tenantId) => Sign(connection.ClientUrl, ClientTokenLifetime, userId, tenantId);

    public string ServerToken(string audience) => Sign(audience, TimeSpan.FromMinutes(5), null, null);

    private string Sign(string audience, TimeSpan lifetime, string? userId, Guid? tenantId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>();
        if (userId is not null) claims["nameid"] = userId;
        if (tenantId is { } tenant) claims[TenantClaim] = tenant.ToString();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }
}
