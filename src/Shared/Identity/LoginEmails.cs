using Npgsql;

namespace PulseStream.Identity;

/// <summary>
/// Log-in e-mail addresses, unique case-insensitively across tenants: login finds a person by address before their
/// tenant is known. The users table is distributable by tenant (docs/SCALING.md) and so holds no cross-tenant unique
/// index; <c>login_emails</c> holds the uniqueness instead. Every change to who has a login goes through here, in the
/// same tenant transaction as the users row: an address is claimed when a person signs up or is invited and released
/// when they are removed.
/// </summary>
public static class LoginEmails
{
    /// <summary>
    /// Claims <paramref name="email"/> for the user. Fails with a unique violation (<c>23505</c>) when any tenant holds
    /// the address, also one whose claim has not committed yet: that claim's commit decides, so of two concurrent
    /// signups with one address exactly one succeeds.
    /// </summary>
    public static async Task ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, string email, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO login_emails (email_lower, tenant_id, user_id) VALUES (lower($1), $2, $3)", connection, transaction);
        insert.Parameters.AddWithValue(email);
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(userId);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Releases the user's address, so it can sign up or be invited again.</summary>
    public static async Task ReleaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid userId, CancellationToken ct)
    {
        await using var delete = new NpgsqlCommand("DELETE FROM login_emails WHERE tenant_id = $1 AND user_id = $2", connection, transaction);
        delete.Parameters.AddWithValue(tenantId);
        delete.Parameters.AddWithValue(userId);
        await delete.ExecuteNonQueryAsync(ct);
    }
}
