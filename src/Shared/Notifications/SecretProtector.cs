using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications;

/// <summary>Settings for protecting stored secrets (app setting <c>Secrets__ProtectionKey</c>, base64, 32 bytes).</summary>
public sealed class SecretOptions
{
    public const string Section = "Secrets";
    [System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.MinLength(44)]
    public string ProtectionKey { get; set; } = "";
}

/// <summary>
/// AES-256-GCM for secrets the product must read back (webhook signing secrets), so they are never stored in plain
/// text. Format: base64(nonce | tag | ciphertext).
/// </summary>
public sealed class SecretProtector(IOptions<SecretOptions> options)
{
    private readonly byte[] _key = Convert.FromBase64String(options.Value.ProtectionKey);

    public string Protect(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[12 + 16 + plain.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(28), output.AsSpan(12, 16));
        return Convert.ToBase64String(output);
    }

    public string Unprotect(string protectedSecret)
    {
        var input = Convert.FromBase64String(protectedSecret);
        var plain = new byte[input.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
