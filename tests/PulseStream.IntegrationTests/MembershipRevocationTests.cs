using System.Diagnostics;
using System.Net;
using PulseStream.Testing;
using Xunit.Abstractions;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The hostile test of issue 11: a removed (or demoted) owner keeps an access token issued before the change and
/// tries to keep control of the tenant with it. Every request is judged by the current membership, so within the
/// membership cache's five seconds (at once in the process that made the change) the token stops opening doors.
/// </summary>
public class MembershipRevocationTests(HostFixture fixture, ITestOutputHelper output) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    /// <summary>Owner A, a second real owner C (so that A is not the last owner), and the soon-removed owner B.</summary>
    private async Task<(Member A, Member B, Member C, Guid Tenant)> TenantWithThreeOwnersAsync()
    {
        var a = await People.SignupAsync(Host, "Revocation Co");
        var b = await People.InviteAndAcceptAsync(Host, a.AccessToken, "owner");
        var c = await People.InviteAndAcceptAsync(Host, a.AccessToken, "owner");
        return (a, b, c, a.TenantId);
    }

    /// <summary>What the attacker could change: the tenant's keys, its people, and who its owners are.</summary>
    private async Task<(long Keys, long Users, long Owners)> StateAsync(Guid tenant) => (
        await Host.ScalarAsync("SELECT count(*) FROM api_keys WHERE tenant_id = $1", tenant),
        await Host.ScalarAsync("SELECT count(*) FROM users WHERE tenant_id = $1", tenant),
        await Host.ScalarAsync("SELECT count(*) FROM users WHERE tenant_id = $1 AND role = 'owner'", tenant));

    private Task<HttpResponseMessage> CreateKeyAsync(string token) =>
        Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", token, new { name = "attacker's key" }));

    private Task<HttpResponseMessage> InviteOwnerAsync(string token) =>
        Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/users", token, new { email = $"evil-{Guid.NewGuid():N}@example.com", role = "owner" }));

    private Task<HttpResponseMessage> DemoteAsync(string token, Guid victim) =>
        Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{victim}", token, new { role = "viewer" }));

    /// <summary>Polls (up to the bound) until the request is answered with <paramref name="status"/>; returns how long that took.</summary>
    private static async Task<TimeSpan> RefusedWithinBoundAsync(Func<Task<HttpResponseMessage>> request, HttpStatusCode status, string type, Stopwatch sinceChange)
    {
        HttpResponseMessage? last = null;
        var refused = await LocalHostProcess.EventuallyAsync(async () =>
        {
            last?.Dispose();
            last = await request();
            return last.StatusCode == status;
        }, Bound);
        var elapsed = sinceChange.Elapsed;
        Assert.True(refused, $"still answered {(int)last!.StatusCode} {Bound.TotalSeconds} s after the change");
        await IngestPipelineTests.AssertProblem(last!, status, type);
        last!.Dispose();
        return elapsed;
    }

    [Fact]
    public async Task A_removed_owners_earlier_token_can_neither_create_a_key_nor_invite_an_owner_nor_demote_the_real_owner()
    {
        var (a, b, _, tenant) = await TenantWithThreeOwnersAsync();
        // B's token works while B is a member: the attack would succeed without the fix.
        using (var before = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/api-keys", b.AccessToken)))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var sinceRemoval = Stopwatch.StartNew();
        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{b.Id}", a.AccessToken)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        var state = await StateAsync(tenant);

        var firstRefusal = await RefusedWithinBoundAsync(() => CreateKeyAsync(b.AccessToken), HttpStatusCode.Unauthorized, "membership-ended", sinceRemoval);
        await RefusedWithinBoundAsync(() => InviteOwnerAsync(b.AccessToken), HttpStatusCode.Unauthorized, "membership-ended", sinceRemoval);
        await RefusedWithinBoundAsync(() => DemoteAsync(b.AccessToken, a.Id), HttpStatusCode.Unauthorized, "membership-ended", sinceRemoval);
        output.WriteLine($"removal request sent → first refusal of the removed owner's token: {firstRefusal.TotalMilliseconds:F0} ms");

        Assert.Equal(state, await StateAsync(tenant));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM users WHERE tenant_id = $1 AND id = $2 AND role = 'owner'", tenant, a.Id));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM users WHERE tenant_id = $1 AND id = $2", tenant, b.Id));
        // And the token is no use for reading either, nor for the live feed.
        using var read = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=5m", b.AccessToken));
        await IngestPipelineTests.AssertProblem(read, HttpStatusCode.Unauthorized, "membership-ended");
    }

    [Fact]
    public async Task A_demoted_owners_earlier_token_is_judged_by_the_new_role()
    {
        var (a, b, _, tenant) = await TenantWithThreeOwnersAsync();
        var sinceDemotion = Stopwatch.StartNew();
        using (var demote = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{b.Id}", a.AccessToken, new { role = "viewer" })))
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        var state = await StateAsync(tenant);

        var firstRefusal = await RefusedWithinBoundAsync(() => CreateKeyAsync(b.AccessToken), HttpStatusCode.Forbidden, "forbidden", sinceDemotion);
        await RefusedWithinBoundAsync(() => InviteOwnerAsync(b.AccessToken), HttpStatusCode.Forbidden, "forbidden", sinceDemotion);
        await RefusedWithinBoundAsync(() => DemoteAsync(b.AccessToken, a.Id), HttpStatusCode.Forbidden, "forbidden", sinceDemotion);
        output.WriteLine($"demotion request sent → first refusal of the demoted owner's token: {firstRefusal.TotalMilliseconds:F0} ms");

        Assert.Equal(state, await StateAsync(tenant));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM users WHERE tenant_id = $1 AND id = $2 AND role = 'owner'", tenant, a.Id));
        // Still a member: what a viewer may do, the same token still may.
        using var read = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=5m", b.AccessToken));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task A_promoted_members_earlier_token_gains_the_new_role_and_a_token_of_nobody_is_refused()
    {
        var a = await People.SignupAsync(Host, "Promotion Co");
        var viewer = await People.InviteAndAcceptAsync(Host, a.AccessToken, "viewer");
        using (var refused = await CreateKeyAsync(viewer.AccessToken)) Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var promote = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{viewer.Id}", a.AccessToken, new { role = "admin" })))
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var created = await CreateKeyAsync(viewer.AccessToken);
            return created.StatusCode == HttpStatusCode.Created;
        }, Bound));

        // A correctly signed token whose subject is no member at all (the role claim says owner).
        using var nobody = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/api-keys", Host.MintToken("owner", a.TenantId)));
        await IngestPipelineTests.AssertProblem(nobody, HttpStatusCode.Unauthorized, "membership-ended");
        // Nor is a real member's token good in another tenant: the tenant claim is checked with the user.
        var other = await People.SignupAsync(Host, "Elsewhere Co");
        using var elsewhere = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/api-keys",
            Host.MintToken("owner", other.TenantId, userId: a.Id)));
        await IngestPipelineTests.AssertProblem(elsewhere, HttpStatusCode.Unauthorized, "membership-ended");
    }
}
