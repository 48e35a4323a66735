using System.ComponentModel.DataAnnotations;

namespace PulseStream.Identity;

/// <summary>Access-token settings (app settings <c>Auth__*</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Base64 HMAC key of at least 32 bytes (a Key Vault reference in Azure).</summary>
    [Required, MinLength(44)]
    public string SigningKey { get; set; } = "";

    /// <summary>The key id written into tokens; rotating adds a new id while the old key still validates.</summary>
    public string SigningKeyId { get; set; } = "k1";

    /// <summary>Optional previous key ("kid:base64") that still validates during a rotation.</summary>
    public string? PreviousSigningKey { get; set; }

    [Required] public string Issuer { get; set; } = "pulsestream";
    [Required] public string Audience { get; set; } = "pulsestream-api";

    [Range(60, 3600)] public int AccessTokenSeconds { get; set; } = 900;

    /// <summary>
    /// How long after a refresh token is spent presenting it again answers the same new pair instead of revoking
    /// its family (two tabs refreshing at once; RFC 9700 §4.14.2 allows a grace). Ten seconds covers two tabs woken
    /// together and a slow network; a thief replaying a copy later than that still revokes the family.
    /// </summary>
    [Range(0, 60)] public int RefreshGraceSeconds { get; set; } = 10;
}
