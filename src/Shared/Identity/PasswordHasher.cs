using System.Globalization;
using System.Security.Cryptography;

namespace PulseStream.Identity;

/// <summary>
/// PBKDF2-HMAC-SHA256 password hashes with a per-user salt. The stored form carries its parameters
/// (<c>pbkdf2-sha256$iterations$salt$hash</c>) so the iteration count can be raised later; verification compares
/// in constant time.
/// </summary>
public sealed class PasswordHasher(int iterations = PasswordHasher.DefaultIterations)
{
    public const int DefaultIterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public string Hash(string password) => Hash(password, iterations);

    private static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var storedIterations)) return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, storedIterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A hash of a random password: verifying against it costs what a real verification costs, so a login
    /// for an unknown e-mail takes as long as one for a known e-mail.</summary>
    public string DecoyHash { get; } = Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), iterations);
}
