using System.Collections.Concurrent;
using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Identity;

/// <summary>
/// Each person's current membership, as every person-facing request checks it: the role of an active member of the
/// tenant, or null once they were removed. An access token only says who the caller was when it was issued; this
/// says who they are now. A value is served at most <see cref="Lifetime"/> after it was read, so a removal or a
/// demotion takes effect everywhere within that; in the process that made the change, at once (<see cref="Invalidate"/>).
/// Bounded: at most <c>maxEntries</c> people are remembered; when full, expired entries go first, then all.
/// </summary>
public sealed class MembershipCache(Func<Guid, Guid, CancellationToken, Task<Role?>> load, TimeProvider time, int maxEntries = MembershipCache.DefaultMaxEntries)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    public const int DefaultMaxEntries = 100_000;

    private sealed record Entry(Role? Role, DateTimeOffset ReadAt);

    private readonly ConcurrentDictionary<(Guid TenantId, Guid UserId), Entry> _entries = new();
    private long _invalidations;

    /// <summary>The cache over the <c>users</c> table (one primary-key lookup per person and lifetime).</summary>
    public MembershipCache(Database database, TimeProvider time) : this((tenant, user, ct) => LoadAsync(database, tenant, user, ct), time) { }

    public int Count => _entries.Count;

    /// <summary>The caller's current role in the tenant, or null when they are not an active member of it.</summary>
    public async Task<Role?> CurrentRoleAsync(Guid tenantId, Guid userId, CancellationToken ct)
    {
        var key = (tenantId, userId);
        if (_entries.TryGetValue(key, out var entry) && time.GetUtcNow() - entry.ReadAt < Lifetime) return entry.Role;

        // Timed and versioned before the read: a change committed while it runs either shows in it, or its
        // invalidation keeps this answer out of the cache.
        var readAt = time.GetUtcNow();
        var version = Interlocked.Read(ref _invalidations);
        var role = await load(tenantId, userId, ct);
        if (Interlocked.Read(ref _invalidations) == version)
        {
            if (!_entries.ContainsKey(key) && _entries.Count >= maxEntries) Evict();
            _entries[key] = new Entry(role, readAt);
        }
        return role;
    }

    /// <summary>Forgets a person at once, in this process (other instances follow within <see cref="Lifetime"/>).</summary>
    public void Invalidate(Guid tenantId, Guid userId)
    {
        Interlocked.Increment(ref _invalidations);
        _entries.TryRemove((tenantId, userId), out _);
    }

    private void Evict()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _entries)
            if (now - entry.ReadAt >= Lifetime) _entries.TryRemove(key, out _);
        if (_entries.Count >= maxEntries) _entries.Clear();
    }

    private static Task<Role?> LoadAsync(Database database, Guid tenantId, Guid userId, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand("SELECT role FROM users WHERE tenant_id = $1 AND id = $2 AND status = 'active'", connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(userId);
            return await command.ExecuteScalarAsync(ct) is string text && Roles.TryParse(text, out var role) ? role : (Role?)null;
        }, ct);
}
