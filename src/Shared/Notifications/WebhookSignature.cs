using System.Security.Cryptography;
using System.Text;

namespace PulseStream.Notifications;

/// <summary>
/// Webhook signatures (CONTRACT.md, "Webhook deliveries"): <c>v1=</c> + hex HMAC-SHA256 of <c>"{timestamp}.{body}"</c>
/// keyed with the channel secret. Receivers verify with <see cref="Verify"/>'s logic and reject old timestamps.
/// </summary>
public static class WebhookSignature
{
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{timestamp}.");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, out var timestamp) || signatureHeader is null) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - timestamp) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, timestamp, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signatureHeader));
    }
}
