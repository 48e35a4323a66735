using System.Security.Cryptography;
using System.Text;

namespace PulseStream.Tenancy;

/// <summary>
/// API key text: <c>psk_live_</c> + 32 random base62 characters + a 6-character base62 checksum of the rest. The
/// checksum lets the ingest edge reject mistyped or forged keys before any lookup. Keys are stored only as SHA-256.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "psk_live_";
    private const int RandomLength = 32;
    private const int ChecksumLength = 6;
    public const int Length = 9 + RandomLength + ChecksumLength;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Generate()
    {
        var random = RandomNumberGenerator.GetString(Alphabet, RandomLength);
        var body = Prefix + random;
        return body + Checksum(body);
    }

    public static bool IsWellFormed(string? key)
    {
        if (key is null || key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (var c in key.AsSpan(Prefix.Length)) if (!char.IsAsciiLetterOrDigit(c)) return false;
        var body = key[..^ChecksumLength];
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Checksum(body)), Encoding.ASCII.GetBytes(key[^ChecksumLength..]));
    }

    /// <summary>The part shown in listings: the prefix and the first four random characters.</summary>
    public static string DisplayPrefix(string key) => key[..(Prefix.Length + 4)];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));

    private static string Checksum(string body)
    {
        var digest = SHA256.HashData(Encoding.ASCII.GetBytes(body));
        var value = BitConverter.ToUInt64(digest, 0);
        var chars = new char[ChecksumLength];
        for (var i = 0; i < ChecksumLength; i++)
        {
            chars[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
        return new string(chars);
    }
}
