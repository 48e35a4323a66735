using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PulseStream.Identity;

/// <summary>
/// Issues and validates access tokens: JWT, HS256 only (the algorithm is pinned), issuer and audience checked,
/// clock skew at most 30 seconds, keys looked up by <c>kid</c> so a signing key can rotate without logging anyone out.
/// </summary>
public sealed class TokenService
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly SymmetricSecurityKey _signingKey;
    private readonly Dictionary<string, SymmetricSecurityKey> _validationKeys = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public TokenService(IOptions<AuthOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _signingKey = new SymmetricSecurityKey(Convert.FromBase64String(_options.SigningKey)) { KeyId = _options.SigningKeyId };
        _validationKeys[_options.SigningKeyId] = _signingKey;
        if (_options.PreviousSigningKey is { } previous && previous.Split(':', 2) is [var kid, var key])
            _validationKeys[kid] = new SymmetricSecurityKey(Convert.FromBase64String(key)) { KeyId = kid };
    }

    public int AccessTokenSeconds => _options.AccessTokenSeconds;

    public string IssueAccessToken(Caller caller)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(_options.AccessTokenSeconds),
            SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = caller.UserId.ToString(),
                ["tid"] = caller.TenantId.ToString(),
                ["role"] = Roles.ToClaim(caller.Role),
            },
        });
    }

    public async Task<Caller?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateLifetime = true,
            LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now <= exp + parameters.ClockSkew && (notBefore is not { } nbf || now >= nbf - parameters.ClockSkew);
            },
            IssuerSigningKeyResolver = (_, _, kid, _) => kid is not null && _validationKeys.TryGetValue(kid, out var key) ? [key] : [],
        });
        if (!result.IsValid) return null;
        var claims = result.ClaimsIdentity;
        return Guid.TryParse(claims.FindFirst("sub")?.Value, out var userId)
            && Guid.TryParse(claims.FindFirst("tid")?.Value, out var tenantId)
            && Roles.TryParse(claims.FindFirst("role")?.Value, out var role)
            ? new Caller(tenantId, userId, role)
            : null;
    }
}
