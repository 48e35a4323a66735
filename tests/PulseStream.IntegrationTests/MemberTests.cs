using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Inviting, promoting, demoting and removing members; the last owner stays.</summary>
public class MemberTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "correct horse battery staple";

    private sealed record Person(Guid Id, string Email, string AccessToken, string RefreshToken);

    private async Task<Person> SignupAsync()
    {
        var email = $"m-{Guid.NewGuid():N}@example.com";
        using var response = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Members Co", email, password = Password });
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        var members = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/users", session.GetProperty("accessToken").GetString()!))).Content.ReadFromJsonAsync<JsonElement>();
        var id = members.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetGuid();
        return new Person(id, email, session.GetProperty("accessToken").GetString()!, session.GetProperty("refreshToken").GetString()!);
    }

    private async Task<Person> InviteAndAcceptAsync(Person owner, string role)
    {
        var email = $"i-{Guid.NewGuid():N}@example.com";
        using var invite = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/users", owner.AccessToken, new { email, role }));
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var invited = await invite.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invited", invited.GetProperty("status").GetString());
        var inviteToken = invited.GetProperty("inviteToken").GetString()!;

        using var accept = await Host.Http.PostAsJsonAsync("api/v1/auth/accept-invite", new { inviteToken, password = Password });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var session = await accept.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(role, session.GetProperty("role").GetString());

        // The invite is one-time.
        using var again = await Host.Http.PostAsJsonAsync("api/v1/auth/accept-invite", new { inviteToken, password = Password });
        await IngestPipelineTests.AssertProblem(again, HttpStatusCode.BadRequest, "invalid-invite");
        return new Person(invited.GetProperty("id").GetGuid(), email, session.GetProperty("accessToken").GetString()!, session.GetProperty("refreshToken").GetString()!);
    }

    [Fact]
    public async Task An_invited_member_sets_a_password_logs_in_with_their_role_and_is_limited_by_it()
    {
        var owner = await SignupAsync();
        var admin = await InviteAndAcceptAsync(owner, "admin");
        Assert.False(string.IsNullOrEmpty(await Host.LoginAsync(admin.Email, Password)));

        using var list = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/users", admin.AccessToken));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var invite = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/users", admin.AccessToken, new { email = "x@example.com", role = "viewer" }));
        Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
    }

    [Fact]
    public async Task Changing_a_role_or_removing_a_member_revokes_their_sessions()
    {
        var owner = await SignupAsync();
        var admin = await InviteAndAcceptAsync(owner, "admin");
        using (var demote = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{admin.Id}", owner.AccessToken, new { role = "viewer" })))
            Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        using (var refresh = await Host.Http.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = admin.RefreshToken }))
            Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);

        using (var login = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email = admin.Email, password = Password }))
        {
            var session = await login.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("viewer", session.GetProperty("role").GetString());
            using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{admin.Id}", owner.AccessToken)))
                Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
            using var afterRemoval = await Host.Http.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = session.GetProperty("refreshToken").GetString() });
            Assert.Equal(HttpStatusCode.Unauthorized, afterRemoval.StatusCode);
        }
        using var gone = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email = admin.Email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
    }

    [Fact]
    public async Task The_last_owner_can_be_neither_demoted_nor_removed_until_there_is_another()
    {
        var owner = await SignupAsync();
        using (var demote = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{owner.Id}", owner.AccessToken, new { role = "admin" })))
            await IngestPipelineTests.AssertProblem(demote, HttpStatusCode.Conflict, "last-owner");
        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{owner.Id}", owner.AccessToken)))
            await IngestPipelineTests.AssertProblem(remove, HttpStatusCode.Conflict, "last-owner");

        await InviteAndAcceptAsync(owner, "owner");
        using var nowAllowed = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{owner.Id}", owner.AccessToken, new { role = "admin" }));
        Assert.Equal(HttpStatusCode.OK, nowAllowed.StatusCode);
    }

    [Fact]
    public async Task Another_tenants_owner_cannot_change_or_remove_a_member_by_id()
    {
        var owner = await SignupAsync();
        var viewer = await InviteAndAcceptAsync(owner, "viewer");
        var intruder = await SignupAsync();
        using (var patch = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Patch, $"api/v1/users/{viewer.Id}", intruder.AccessToken, new { role = "owner" })))
            Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        using (var delete = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{viewer.Id}", intruder.AccessToken)))
            Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        using var login = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email = viewer.Email, password = Password });
        Assert.Equal("viewer", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
    }
}
