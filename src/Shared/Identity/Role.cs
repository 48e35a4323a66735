namespace PulseStream.Identity;

/// <summary>Tenant roles, ordered: each includes the rights of those below it.</summary>
public enum Role
{
    Viewer = 1,
    Admin = 2,
    Owner = 3,
}

public static class Roles
{
    public static string ToClaim(Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out Role role)
    {
        role = default;
        return text is "viewer" or "admin" or "owner" && Enum.TryParse(text, ignoreCase: true, out role);
    }
}

/// <summary>The authenticated person behind a request, scoped to their tenant.</summary>
public sealed record Caller(Guid TenantId, Guid UserId, Role Role);
