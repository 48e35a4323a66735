using PulseStream.Identity;

namespace PulseStream.UnitTests;

/// <summary>The per-request membership check's cache: never older than five seconds, dropped on a change, bounded.</summary>
public class MembershipCacheTests
{
    private static readonly Guid Tenant = Guid.NewGuid();

    /// <summary>The users table as the cache sees it: the test sets each person's role and counts the lookups.</summary>
    private sealed class Members
    {
        public Dictionary<Guid, Role?> Roles { get; } = [];
        public int Lookups;

        public Task<Role?> LoadAsync(Guid tenantId, Guid userId, CancellationToken ct)
        {
            Interlocked.Increment(ref Lookups);
            return Task.FromResult(tenantId == Tenant && Roles.TryGetValue(userId, out var role) ? role : null);
        }
    }

    private static (FixedClock Clock, Members Members, MembershipCache Cache) Create(int maxEntries = 100)
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var members = new Members();
        return (clock, members, new MembershipCache(members.LoadAsync, clock, maxEntries));
    }

    [Fact]
    public async Task A_removal_shows_once_the_cached_answer_is_five_seconds_old_and_not_before()
    {
        var (clock, members, cache) = Create();
        var user = Guid.NewGuid();
        members.Roles[user] = Role.Owner;
        Assert.Equal(Role.Owner, await cache.CurrentRoleAsync(Tenant, user, default));

        members.Roles.Remove(user); // removed by another instance: this one is not told
        clock.Now += TimeSpan.FromSeconds(4.9);
        Assert.Equal(Role.Owner, await cache.CurrentRoleAsync(Tenant, user, default));
        Assert.Equal(1, members.Lookups);

        clock.Now += TimeSpan.FromSeconds(0.1);
        Assert.Null(await cache.CurrentRoleAsync(Tenant, user, default));
        Assert.Equal(2, members.Lookups);
    }

    [Fact]
    public async Task A_demotion_in_this_process_is_seen_at_once()
    {
        var (_, members, cache) = Create();
        var user = Guid.NewGuid();
        members.Roles[user] = Role.Owner;
        Assert.Equal(Role.Owner, await cache.CurrentRoleAsync(Tenant, user, default));

        members.Roles[user] = Role.Viewer;
        cache.Invalidate(Tenant, user);
        Assert.Equal(Role.Viewer, await cache.CurrentRoleAsync(Tenant, user, default));
    }

    [Fact]
    public async Task A_lookup_that_was_running_when_the_member_was_removed_is_not_cached()
    {
        var clock = new FixedClock(DateTimeOffset.UnixEpoch);
        var user = Guid.NewGuid();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookups = 0;
        var cache = new MembershipCache(async (_, _, _) =>
        {
            // The first lookup read the row before the removal committed, and answers after it.
            if (Interlocked.Increment(ref lookups) == 1) { await release.Task; return Role.Owner; }
            return null;
        }, clock);

        var stale = cache.CurrentRoleAsync(Tenant, user, default);
        cache.Invalidate(Tenant, user);
        release.SetResult();
        Assert.Equal(Role.Owner, await stale);
        Assert.Null(await cache.CurrentRoleAsync(Tenant, user, default));
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_bound_dropping_expired_entries_first()
    {
        var (clock, members, cache) = Create(maxEntries: 10);
        var old = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();
        foreach (var user in old) { members.Roles[user] = Role.Viewer; await cache.CurrentRoleAsync(Tenant, user, default); }
        clock.Now += TimeSpan.FromSeconds(6);
        var recent = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        foreach (var user in recent) { members.Roles[user] = Role.Admin; await cache.CurrentRoleAsync(Tenant, user, default); }
        Assert.Equal(10, cache.Count);

        // The eleventh person: the six expired entries make room; the four fresh ones stay cached.
        await cache.CurrentRoleAsync(Tenant, Guid.NewGuid(), default);
        Assert.Equal(5, cache.Count);
        var lookups = members.Lookups;
        foreach (var user in recent) Assert.Equal(Role.Admin, await cache.CurrentRoleAsync(Tenant, user, default));
        Assert.Equal(lookups, members.Lookups);

        // Thousands of distinct callers (say, a flood of valid tokens of people since removed) never exceed the bound.
        for (var i = 0; i < 5_000; i++)
        {
            await cache.CurrentRoleAsync(Tenant, Guid.NewGuid(), default);
            Assert.True(cache.Count <= 10);
        }
    }

    [Fact]
    public async Task People_of_another_tenant_with_the_same_user_id_are_not_confused()
    {
        var (_, members, cache) = Create();
        var user = Guid.NewGuid();
        members.Roles[user] = Role.Owner;
        Assert.Equal(Role.Owner, await cache.CurrentRoleAsync(Tenant, user, default));
        Assert.Null(await cache.CurrentRoleAsync(Guid.NewGuid(), user, default));
    }
}
