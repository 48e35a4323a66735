using System.Text.Json;

namespace PulseStream.Identity;

/// <summary>
/// Passwords: 12 to 1,024 characters, not one of the 49,000 most common passwords (compared case-insensitively),
/// and not the e-mail address.
/// </summary>
public sealed class PasswordPolicy
{
    public const int MinLength = 12;
    public const int MaxLength = 1024;
    private readonly HashSet<string> _common;

    public PasswordPolicy()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("PulseStream.CommonPasswords.json")
            ?? throw new InvalidOperationException("The common-password list is not embedded: run ./pulse (npm ci in tools/) before building.");
        _common = new HashSet<string>(JsonSerializer.Deserialize<string[]>(stream)!, StringComparer.OrdinalIgnoreCase);
    }

    public int CommonCount => _common.Count;

    /// <summary>Null when acceptable; otherwise why not.</summary>
    public string? Check(string? password, string? email)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinLength) return $"Use at least {MinLength} characters.";
        if (password.Length > MaxLength) return $"Use at most {MaxLength} characters.";
        if (_common.Contains(password) || _common.Contains(password.Trim())) return "This password is one of the most common passwords; choose another.";
        if (email is not null && string.Equals(password, email, StringComparison.OrdinalIgnoreCase)) return "The password must not be your e-mail address.";
        return null;
    }
}
