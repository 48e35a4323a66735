using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;
using PulseStream.Http;
using PulseStream.Realtime;
using PulseStream.Storage;

namespace PulseStream.Identity;

public sealed record InviteRequest(string? Email, string? Role);
public sealed record RoleChangeRequest(string? Role);
public sealed record AcceptInviteRequest(string? InviteToken, string? Password);
public sealed record MemberView(Guid Id, string Email, string Role, string Status, DateTimeOffset CreatedAt);

/// <summary>
/// The members of a tenant. Owners invite (a pending member with a one-time invite token that sets the password),
/// change roles and remove members; the last Owner can be neither demoted nor removed. Changing a member's role or
/// removing them revokes all their refresh-token families, forgets their cached membership (so their access tokens
/// are judged by the new role at once here, within <see cref="MembershipCache.Lifetime"/> elsewhere), takes them out
/// of the tenant's SignalR group and closes their live connections.
/// </summary>
public sealed class MemberService(Database database, PasswordHasher hasher, PasswordPolicy policy, RefreshTokens refreshTokens, AuthService sessions,
    MembershipCache memberships, IRealtimePublisher realtime, TimeProvider time, ILogger<MemberService> logger)
{
    public const int MaxMembers = 500;
    public static readonly TimeSpan InviteLifetime = TimeSpan.FromDays(7);

    public async Task<IActionResult> ListAsync(Caller caller, CancellationToken ct)
    {
        var items = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT id, email, role, status, created_at FROM users WHERE tenant_id = $1 ORDER BY created_at, id", connection, transaction);
            command.Parameters.AddWithValue(caller.TenantId);
            var members = new List<MemberView>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                members.Add(new MemberView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
            return members;
        }, ct);
        return ApiResults.Ok(new { items });
    }

    public async Task<IActionResult> InviteAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<InviteRequest>(request, ct);
        if (failure is not null) return failure;
        var email = body!.Email?.Trim();
        var errors = new List<FieldError>();
        if (!Emails.IsValid(email)) errors.Add(new("email", "A valid e-mail address is required."));
        if (!Roles.TryParse(body.Role, out var role)) errors.Add(new("role", "Must be viewer, admin or owner."));
        if (errors.Count > 0) return ApiResults.BadRequest("invalid-member", "The invitation is not valid.", errors);

        await using (var taken = database.DataSource.CreateCommand("SELECT auth_email_taken($1)"))
        {
            taken.Parameters.AddWithValue(email!);
            if (await taken.ExecuteScalarAsync(ct) is true)
                return ApiResults.Problem(StatusCodes.Status409Conflict, "email-taken", "The e-mail address is in use.", "That person already has a PulseStream login.");
        }

        var token = "psi_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var id = Guid.CreateVersion7();
        var expires = time.GetUtcNow() + InviteLifetime;
        try
        {
            var created = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
            {
                if (await CountAsync(connection, transaction, caller.TenantId, null, ct) >= MaxMembers) return false;
                await LoginEmails.ClaimAsync(connection, transaction, caller.TenantId, id, email!, ct);
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO users (tenant_id, id, email, password_hash, role, status, invite_token_hash, invite_expires_at)
                    VALUES ($1, $2, $3, NULL, $4, 'invited', $5, $6)
                    """, connection, transaction);
                insert.Parameters.AddWithValue(caller.TenantId);
                insert.Parameters.AddWithValue(id);
                insert.Parameters.AddWithValue(email!);
                insert.Parameters.AddWithValue(Roles.ToClaim(role));
                insert.Parameters.AddWithValue(RefreshTokens.Hash(token));
                insert.Parameters.AddWithValue(expires);
                await insert.ExecuteNonQueryAsync(ct);
                await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), "member.invite", "user", id.ToString(),
                    new { email, role = Roles.ToClaim(role) }, AuditLog.ClientAddress(request)), ct);
                return true;
            }, ct);
            if (!created) return ApiResults.Problem(StatusCodes.Status409Conflict, "member-limit", "Too many members.", $"A tenant may have at most {MaxMembers} members.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, "email-taken", "The e-mail address is in use.", "That person already has a PulseStream login.");
        }
        return ApiResults.Created(new { id, email, role = Roles.ToClaim(role), status = "invited", inviteToken = token, inviteExpiresAt = expires });
    }

    public async Task<IActionResult> ChangeRoleAsync(Caller caller, string id, HttpRequest request, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var userId)) return ApiResults.NotFound("No such member.");
        var (body, failure) = await JsonBodyReader.ReadAsAsync<RoleChangeRequest>(request, ct);
        if (failure is not null) return failure;
        if (!Roles.TryParse(body!.Role, out var role))
            // Another tenant's id is not found, whatever the body says.
            return await ExistsAsync(caller.TenantId, userId, ct)
                ? ApiResults.BadRequest("invalid-member", "The change is not valid.", [new("role", "Must be viewer, admin or owner.")])
                : ApiResults.NotFound("No such member.");
        return await ChangeAsync(caller, userId, request, role, ct);
    }

    public async Task<IActionResult> RemoveAsync(Caller caller, string id, HttpRequest request, CancellationToken ct) =>
        Guid.TryParse(id, out var userId) ? await ChangeAsync(caller, userId, request, null, ct) : ApiResults.NotFound("No such member.");

    /// <summary>Changes a member's role, or removes them when <paramref name="role"/> is null.</summary>
    private async Task<IActionResult> ChangeAsync(Caller caller, Guid userId, HttpRequest request, Role? role, CancellationToken ct)
    {
        var outcome = await database.ForTenantAsync(caller.TenantId, async (connection, transaction) =>
        {
            // Lock the tenant's owners so two concurrent demotions cannot both pass the last-owner check.
            await using (var lockOwners = new NpgsqlCommand("SELECT id FROM users WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE", connection, transaction))
            {
                lockOwners.Parameters.AddWithValue(caller.TenantId);
                await lockOwners.ExecuteNonQueryAsync(ct);
            }
            string? current;
            await using (var select = new NpgsqlCommand("SELECT role FROM users WHERE tenant_id = $1 AND id = $2", connection, transaction))
            {
                select.Parameters.AddWithValue(caller.TenantId);
                select.Parameters.AddWithValue(userId);
                current = await select.ExecuteScalarAsync(ct) as string;
            }
            if (current is null) return "not-found";
            if (current == "owner" && role is not Role.Owner && await CountAsync(connection, transaction, caller.TenantId, "owner", ct) <= 1 && await ActiveOwnerAsync(connection, transaction, caller.TenantId, userId, ct))
                return "last-owner";

            var sql = role is { } r
                ? $"UPDATE users SET role = '{Roles.ToClaim(r)}' WHERE tenant_id = $1 AND id = $2"
                : "DELETE FROM users WHERE tenant_id = $1 AND id = $2";
            await using (var change = new NpgsqlCommand(sql, connection, transaction))
            {
                change.Parameters.AddWithValue(caller.TenantId);
                change.Parameters.AddWithValue(userId);
                await change.ExecuteNonQueryAsync(ct);
            }
            if (role is null) await LoginEmails.ReleaseAsync(connection, transaction, caller.TenantId, userId, ct);
            await refreshTokens.RevokeUserAsync(connection, transaction, caller.TenantId, userId, ct);
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(caller.TenantId, Actor.User(caller.UserId), role is null ? "member.remove" : "member.role",
                "user", userId.ToString(), new { from = current, to = role is { } to ? Roles.ToClaim(to) : null }, AuditLog.ClientAddress(request)), ct);
            return "ok";
        }, ct);
        if (outcome == "ok")
        {
            memberships.Invalidate(caller.TenantId, userId);
            await EndLiveConnectionsAsync(caller.TenantId, userId, role is null ? "membership-ended" : "role-changed");
        }
        return outcome switch
        {
            "not-found" => ApiResults.NotFound("No such member."),
            "last-owner" => ApiResults.Problem(StatusCodes.Status409Conflict, "last-owner", "The last owner must stay.", "Make another member an owner first."),
            _ => role is null ? ApiResults.NoContent() : ApiResults.Ok(new { id = userId, role = Roles.ToClaim(role.Value) }),
        };
    }

    /// <summary>
    /// Out of the group first, so no further message reaches them even if the close fails; then every connection is
    /// closed, and a dashboard that reconnects must negotiate, which checks the membership again. Not cancelled with
    /// the request: the change is committed, so its live effect must follow.
    /// </summary>
    private async Task EndLiveConnectionsAsync(Guid tenantId, Guid userId, string reason)
    {
        var user = userId.ToString();
        try
        {
            await realtime.RemoveUserFromAllGroupsAsync(user, CancellationToken.None);
            await realtime.CloseUserConnectionsAsync(user, reason, CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogError("Ending the live connections of user {UserId} of tenant {TenantId} failed: {Error}", userId, tenantId, e.Message);
        }
    }

    public async Task<IActionResult> AcceptInviteAsync(HttpRequest request, CancellationToken ct)
    {
        var (body, failure) = await JsonBodyReader.ReadAsAsync<AcceptInviteRequest>(request, ct);
        if (failure is not null) return failure;
        var invalid = ApiResults.Problem(StatusCodes.Status400BadRequest, "invalid-invite", "The invitation is not valid.", "It may have been used or have expired; ask for a new one.");
        if (body!.InviteToken is not { Length: > 4 and < 100 } token || !token.StartsWith("psi_", StringComparison.Ordinal)) return invalid;

        (Guid TenantId, Guid UserId, DateTimeOffset Expires)? invite = null;
        await using (var find = database.DataSource.CreateCommand("SELECT tenant_id, id, invite_expires_at FROM auth_find_invite($1)"))
        {
            find.Parameters.AddWithValue(RefreshTokens.Hash(token));
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) invite = (reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2));
        }
        if (invite is not { } found || found.Expires <= time.GetUtcNow()) return invalid;
        if (policy.Check(body.Password, null) is { } problem)
            return ApiResults.BadRequest("invalid-password", "The password is not acceptable.", [new("password", problem)]);

        var hash = hasher.Hash(body.Password!);
        var session = await database.ForTenantAsync(found.TenantId, async (connection, transaction) =>
        {
            await using var update = new NpgsqlCommand("""
                UPDATE users SET password_hash = $3, status = 'active', invite_token_hash = NULL, invite_expires_at = NULL
                WHERE tenant_id = $1 AND id = $2 AND status = 'invited' AND invite_token_hash = $4
                RETURNING role
                """, connection, transaction);
            update.Parameters.AddWithValue(found.TenantId);
            update.Parameters.AddWithValue(found.UserId);
            update.Parameters.AddWithValue(hash);
            update.Parameters.AddWithValue(RefreshTokens.Hash(token));
            if (await update.ExecuteScalarAsync(ct) is not string roleText || !Roles.TryParse(roleText, out var role)) return null;
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(found.TenantId, Actor.User(found.UserId), "member.accept", "user",
                found.UserId.ToString(), null, AuditLog.ClientAddress(request)), ct);
            return await sessions.StartSessionAsync(connection, transaction, new Caller(found.TenantId, found.UserId, role), ct);
        }, ct);
        memberships.Invalidate(found.TenantId, found.UserId);
        return session is null ? invalid : ApiResults.Ok(session);
    }

    private Task<bool> ExistsAsync(Guid tenantId, Guid userId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2", connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(userId);
            return await command.ExecuteScalarAsync(ct) is not null;
        }, ct);

    private static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string? role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM users WHERE tenant_id = $1 AND ($2::text IS NULL OR (role = $2 AND status = 'active'))", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)role ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<bool> ActiveOwnerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 AND role = 'owner' AND status = 'active'", connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
