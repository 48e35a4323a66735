using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Identity;

public sealed record LoginRequest(string? Email, string? Password);
public sealed record LoginResponse(string AccessToken, int ExpiresIn, Guid TenantId, string Role);

/// <summary>Logs a person in with e-mail and password, without revealing whether the e-mail exists.</summary>
public sealed class LoginService(Database database, PasswordHasher hasher, TokenService tokens, ILogger<LoginService> logger)
{
    public async Task<IActionResult> LoginAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<LoginRequest>(request, ct);
        if (failure is not null) return failure;
        if (string.IsNullOrWhiteSpace(body!.Email) || string.IsNullOrEmpty(body.Password) || body.Email.Length > 254 || body.Password.Length > 1024)
            return ApiResults.BadRequest("invalid-login", "Send an email and a password.");

        var user = await FindUserAsync(body.Email.Trim(), ct);
        // Verify against a decoy hash for unknown e-mails so both paths cost the same.
        var valid = hasher.Verify(body.Password, user?.PasswordHash ?? hasher.DecoyHash) && user is not null;
        if (!valid)
        {
            logger.LogInformation("Login failed");
            return ApiResults.Unauthorized("invalid-credentials", "The e-mail or password is wrong.");
        }
        var caller = new Caller(user!.TenantId, user.UserId, user.Role);
        logger.LogInformation("Login succeeded for user {UserId} of tenant {TenantId}", caller.UserId, caller.TenantId);
        return ApiResults.Ok(new LoginResponse(tokens.IssueAccessToken(caller), tokens.AccessTokenSeconds, caller.TenantId, Roles.ToClaim(caller.Role)));
    }

    private sealed record UserRecord(Guid TenantId, Guid UserId, Role Role, string PasswordHash);

    private async Task<UserRecord?> FindUserAsync(string email, CancellationToken ct)
    {
        // Before the tenant is known: a narrow SECURITY DEFINER lookup (row-level security hides other rows).
        await using var command = database.DataSource.CreateCommand(
            "SELECT tenant_id, id, role, password_hash FROM auth_find_user($1) WHERE status = 'active' AND password_hash IS NOT NULL");
        command.Parameters.AddWithValue(email);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return Roles.TryParse(reader.GetString(2), out var role)
            ? new UserRecord(reader.GetGuid(0), reader.GetGuid(1), role, reader.GetString(3))
            : null;
    }
}
