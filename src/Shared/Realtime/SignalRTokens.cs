using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PulseStream.Realtime;

/// <summary>
/// Signs SignalR Service tokens as the service expects (AZURE.md): HS256 with the UTF-8 bytes of the access key,
/// audience = the client URL or the REST request URL, <c>nameid</c> = the user id, an expiry.
/// </summary>
public sealed class SignalRTokens(SignalRConnection connection, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static readonly TimeSpan ClientTokenLifetime = TimeSpan.FromHours(1);

    public SymmetricSecurityKey Key { get; } = new(Encoding.UTF8.GetBytes(connection.AccessKey));

    public string ClientToken(string userId) => Sign(connection.ClientUrl, ClientTokenLifetime, userId);

    public string ServerToken(string audience) => Sign(audience, TimeSpan.FromMinutes(5), null);

    private string Sign(string audience, TimeSpan lifetime, string? userId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>();
        if (userId is not null) claims["nameid"] = userId;
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
