using System.Security.Cryptography;
using System.Text;

namespace PulseStream.Notifications;

/// <summary>
/// Webhook signatures, two schemes over the same body:
/// <list type="bullet">
/// <item>the contract's (CONTRACT.md, "Webhook deliveries"): <c>X-PulseStream-Signature: v1=</c> + hex HMAC-SHA256 of
/// <c>"{timestamp}.{body}"</c> keyed with the UTF-8 bytes of the channel secret;</item>
/// <item>Standard Webhooks (standardwebhooks.com): <c>webhook-signature: v1,</c> + base64 HMAC-SHA256 of
/// <c>"{id}.{timestamp}.{body}"</c> keyed with the base64-decoded part of the <c>whsec_</c> secret, so receivers can
/// verify with the libraries they already use.</item>
/// </list>
/// While a rotated-out secret is still valid, each header carries both signatures, space-separated; a receiver
/// accepts the delivery when any one of them matches.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new signing secret: <c>whsec_</c> + base64 of 24 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Concat($"{timestamp}.", body)));

    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, out var timestamp) || signatureHeader is null) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        return AnyMatches(signatureHeader, expected);
    }

    /// <summary>The Standard Webhooks signature, <c>v1,&lt;base64&gt;</c>.</summary>
    public static string SignStandard(string secret, string id, long timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(StandardKey(secret), Concat($"{id}.{timestamp}.", body)));

    public static bool VerifyStandard(string secret, string? idHeader, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body,
        DateTimeOffset now, TimeSpan tolerance)
    {
        if (idHeader is null || !long.TryParse(timestampHeader, out var timestamp) || signatureHeader is null) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        return AnyMatches(signatureHeader, Encoding.ASCII.GetBytes(SignStandard(secret, idHeader, timestamp, body)));
    }

    /// <summary>The key of a <c>whsec_</c> secret: its base64 part decoded (base64url accepted too).</summary>
    public static byte[] StandardKey(string secret)
    {
        var encoded = (secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret).Replace('-', '+').Replace('_', '/');
        encoded = encoded.PadRight(encoded.Length + (4 - encoded.Length % 4) % 4, '=');
        return Convert.FromBase64String(encoded);
    }

    private static bool AnyMatches(string header, byte[] expected)
    {
        var match = false;
        foreach (var candidate in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            match |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate));
        return match;
    }

    private static byte[] Concat(string prefix, ReadOnlySpan<byte> body)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var message = new byte[head.Length + body.Length];
        head.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(head.Length));
        return message;
    }
}
