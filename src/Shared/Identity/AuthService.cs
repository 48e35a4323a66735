using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Identity;

public sealed record SignupRequest(string? TenantName, string? Email, string? Password);
public sealed record LoginRequest(string? Email, string? Password);
public sealed record RefreshRequest(string? RefreshToken);
public sealed record SessionResponse(string AccessToken, string RefreshToken, int ExpiresIn, Guid TenantId, string Role);

/// <summary>Signup, login, refresh and logout: sessions of people, audited, throttled, never logging a secret.</summary>
public sealed class AuthService(Database database, PasswordHasher hasher, PasswordPolicy policy, TokenService tokens, RefreshTokens refreshTokens,
    LoginThrottle throttle, TimeProvider time, ILogger<AuthService> logger,
    SignupThrottle signupThrottle)
{
    public async Task<IActionResult> SignupAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<SignupRequest>(request, ct);
        if (failure is not null) return failure;
        var errors = new List<FieldError>();
        var tenantName = body!.TenantName?.Trim();
        if (string.IsNullOrEmpty(tenantName) || tenantName.Length > 100) errors.Add(new("tenantName", "Required, at most 100 characters."));
        var email = body.Email?.Trim();
        if (!Emails.IsValid(email)) errors.Add(new("email", "A valid e-mail address is required."));
        if (policy.Check(body.Password, email) is { } passwordProblem) errors.Add(new("password", passwordProblem));
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-signup", "The signup is not valid.", errors);
        // Throttled before anything costly runs (the e-mail lookup, the 600,000-iteration hash): per address, overall, per instance.
        using var admission = await signupThrottle.AdmitAsync(AuditLog.ClientAddress(request), ct);
        if (admission.Refusal is { } refused) return refused;

        await using (var taken = database.DataSource.CreateCommand("SELECT auth_email_taken($1)"))
        {
            taken.Parameters.AddWithValue(email!);
            if (await taken.ExecuteScalarAsync(ct) is true)
                return ApiResults.Problem(StatusCodes.Status409Conflict, "email-taken", "The e-mail address is in use.", "Log in instead, or use another address.");
        }

        var tenantId = Guid.CreateVersion7();
        var userId = Guid.CreateVersion7();
        var hash = hasher.Hash(body.Password!);
        try
        {
            var session = await database.ForTenantAsync(tenantId, async (connection, transaction) =>
            {
                await Execute(connection, transaction, "INSERT INTO tenants (id, name) VALUES ($1, $2)", ct, tenantId, tenantName!);
                // A concurrent signup with the same address waits here for the other's commit, then fails: 409 below.
                await LoginEmails.ClaimAsync(connection, transaction, tenantId, userId, email!, ct);
                await Execute(connection, transaction, "INSERT INTO users (tenant_id, id, email, password_hash, role) VALUES ($1, $2, $3, $4, 'owner')",
                    ct, tenantId, userId, email!, hash);
                await AuditLog.AppendAsync(connection, transaction, new AuditEntry(tenantId, Actor.User(userId), "tenant.signup", "tenant", tenantId.ToString(),
                    new { tenantName, email }, AuditLog.ClientAddress(request)), ct);
                return await StartSessionAsync(connection, transaction, new Caller(tenantId, userId, Role.Owner), ct);
            }, ct);
            logger.LogInformation("Tenant {TenantId} signed up", tenantId);
            return new JsonBodyResult(session, StatusCodes.Status201Created);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, "email-taken", "The e-mail address is in use.", "Log in instead, or use another address.");
        }
    }

    public async Task<IActionResult> LoginAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<LoginRequest>(request, ct);
        if (failure is not null) return failure;
        if (string.IsNullOrWhiteSpace(body!.Email) || string.IsNullOrEmpty(body.Password) || body.Email.Length > 254 || body.Password.Length > PasswordPolicy.MaxLength)
            return ApiResults.BadRequest("invalid-login", "Send an email and a password.");
        var email = body.Email.Trim();
        var address = AuditLog.ClientAddress(request);

        if (await throttle.LockedForAsync(email, address, ct) is { } wait)
            return TooManyAttempts(wait);

        var user = await FindUserAsync(email, ct);
        // Verify against a decoy hash for unknown e-mails so both paths cost the same.
        var valid = hasher.Verify(body.Password, user?.PasswordHash ?? hasher.DecoyHash) && user is not null;
        if (!valid)
        {
            await throttle.RecordFailureAsync(email, address, ct);
            await AuditFailedLoginAsync(user, email, address, ct);
            logger.LogInformation("Login failed");
            return ApiResults.Unauthorized("invalid-credentials", "The e-mail or password is wrong.");
        }

        await throttle.RecordSuccessAsync(email, ct);
        var caller = new Caller(user!.TenantId, user.UserId, user.Role);
        var session = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "auth.login", "user", caller.UserId.ToString(),
                null, address), ct);
            return await StartSessionAsync(connection, transaction, caller, ct);
        }, ct);
        logger.LogInformation("Login succeeded for user {UserId} of tenant {TenantId}", caller.UserId, caller.TenantId);
        return ApiResults.Ok(session);
    }

    public async Task<IActionResult> RefreshAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<RefreshRequest>(request, ct);
        if (failure is not null) return failure;
        if (string.IsNullOrEmpty(body!.RefreshToken)) return ApiResults.BadRequest("invalid-refresh", "Send the refreshToken.");
        var invalid = ApiResults.Unauthorized("invalid-refresh-token", "The refresh token is invalid, expired or revoked; log in again.");

        var presented = await refreshTokens.FindAsync(body.RefreshToken, ct);
        if (presented is null || presented.RevokedAt is not null || presented.ExpiresAt <= time.GetUtcNow()) return invalid;

        var outcome = await database.ForTenantAsync(presented.TenantId, async (connection, transaction) =>
        {
            if (presented.SpentAt is null)
            {
                var role = await RoleOfAsync(connection, transaction, presented.TenantId, presented.UserId, ct);
                if (role is null) return null;
                var caller = new Caller(presented.TenantId, presented.UserId, role.Value);
                var refresh = RefreshTokens.NewToken();
                var session = new SessionResponse(tokens.IssueAccessToken(caller), refresh, tokens.AccessTokenSeconds, caller.TenantId, Roles.ToClaim(caller.Role));
                if (await refreshTokens.SpendAsync(connection, transaction, presented.TenantId, body.RefreshToken, session, ct))
                {
                    await refreshTokens.StoreAsync(connection, transaction, caller.TenantId, caller.UserId, presented.FamilyId, refresh, ct);
                    return session;
                }
                // Another request spent it while this one waited on the row: most likely the user's other tab.
            }
            if (await refreshTokens.GraceSuccessorAsync(connection, transaction, presented.TenantId, body.RefreshToken, ct) is { } successor)
            {
                logger.LogInformation("A refresh token spent moments ago was answered with its successor for user {UserId}", presented.UserId);
                return successor;
            }
            // A spent token presented again after the grace: someone holds a copy. The whole family goes.
            await refreshTokens.RevokeFamilyAsync(connection, transaction, presented.TenantId, presented.FamilyId, ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(presented.TenantId, Actor.User(presented.UserId), "auth.refresh_reuse", "user",
                presented.UserId.ToString(), new { familyId = presented.FamilyId }, AuditLog.ClientAddress(request)), ct);
            return (SessionResponse?)null;
        }, ct);
        if (outcome is null) logger.LogWarning("A refresh token was refused for user {UserId}", presented.UserId);
        return outcome is null ? invalid : ApiResults.Ok(outcome);
    }

    /// <summary>Revokes the family of the given refresh token (or, without one, every session of the caller).</summary>
    public async Task<IActionResult> LogoutAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        RefreshRequest? body = null;
        if (request.ContentLength is > 0)
        {
            (body, var failure) = await JsonBodyReader.ReadAsAsync<RefreshRequest>(request, ct);
            if (failure is not null) return failure;
        }
        var presented = body?.RefreshToken is { Length: > 0 } token ? await refreshTokens.FindAsync(token, ct) : null;
        await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            if (presented is not null && presented.TenantId == caller.TenantId && presented.UserId == caller.UserId)
                await refreshTokens.RevokeFamilyAsync(connection, transaction, caller.TenantId, presented.FamilyId, ct);
            else
                await refreshTokens.RevokeUserAsync(connection, transaction, caller.TenantId, caller.UserId, ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "auth.logout", "user",
                caller.UserId.ToString(), null, AuditLog.ClientAddress(request)), ct);
        }, ct);
        return ApiResults.NoContent();
    }

    internal async Task<SessionResponse> StartSessionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Caller caller, CancellationToken ct)
    {
        var refresh = await refreshTokens.IssueAsync(connection, transaction, caller.TenantId, caller.UserId, familyId: null, ct);
        return new SessionResponse(tokens.IssueAccessToken(caller), refresh, tokens.AccessTokenSeconds, caller.TenantId, Roles.ToClaim(caller.Role));
    }

    private static JsonBodyResult TooManyAttempts(TimeSpan wait)
    {
        var seconds = (int)Math.Ceiling(wait.TotalSeconds);
        var result = ApiResults.Problem(StatusCodes.Status429TooManyRequests, "too-many-attempts", "Too many failed logins.",
            $"Try again in {seconds} seconds.");
        result.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        return result;
    }

    private async Task AuditFailedLoginAsync(UserRecord? user, string email, string? address, CancellationToken ct)
    {
        var summary = new { email };
        if (user is null)
        {
            await database.InTransactionAsync((connection, transaction) =>
                AuditLog.AppendAsync(connection, transaction, new AuditEntry(null, Actor.Anonymous, "auth.login_failed", "user", null, summary, address), ct), ct);
            return;
        }
        await database.ForTenantAsync(user.TenantId, (connection, transaction) =>
            AuditLog.AppendAsync(connection, transaction, new AuditEntry(user.TenantId, Actor.Anonymous, "auth.login_failed", "user", user.UserId.ToString(), summary, address), ct), ct);
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

    private static async Task<Role?> RoleOfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT role FROM users WHERE tenant_id = $1 AND id = $2 AND status = 'active'", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync(ct) is string text && Roles.TryParse(text, out var role) ? role : null;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>A deliberately simple e-mail check: one @, something on both sides, a dot in the domain, no spaces.</summary>
public static class Emails
{
    public static bool IsValid(string? email) =>
        email is { Length: >= 3 and <= 254 } && email.Count(c => c == '@') == 1 && !email.Any(char.IsWhiteSpace)
        && email.IndexOf('@') is var at && at > 0 && at < email.Length - 3 && email[(at + 1)..].Contains('.', StringComparison.Ordinal);
}
