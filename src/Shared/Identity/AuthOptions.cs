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

    /// <summary>
    /// Test hosts only: the PBKDF2 iterations of the passwords this host hashes, fewer than the
    /// <see cref="PasswordHasher.DefaultIterations"/> it uses when unset. The test suite signs up and signs in many
    /// hundreds of times, each 0.34 s of CPU at the full count on its two cores. Refused on Azure (<see cref="IsAllowedHere"/>),
    /// and logged as a warning wherever it is set; a stored hash records its own count, so it always verifies as what it is.
    /// </summary>
    [Range(1, PasswordHasher.DefaultIterations)] public int? InsecureTestPasswordIterations { get; set; }

    /// <summary>Whether the options may be used where <paramref name="azureSiteName"/> (<c>WEBSITE_SITE_NAME</c>, set by Azure Functions) is what it is.</summary>
    public bool IsAllowedHere(string? azureSiteName) => InsecureTestPasswordIterations is null || string.IsNullOrEmpty(azureSiteName);
}
