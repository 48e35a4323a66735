using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A person with a session, as the API gave it to them.</summary>
public sealed record Member(Guid TenantId, Guid Id, string Email, string AccessToken, string RefreshToken);

/// <summary>Signing up and inviting people through the API, as the product's users do.</summary>
public static class People
{
    public const string Password = "correct horse battery staple";

    public static async Task<Member> SignupAsync(LocalHostProcess host, string tenantName)
    {
        var email = $"p-{Guid.NewGuid():N}@example.com";
        using var response = await host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName, email, password = Password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = session.GetProperty("accessToken").GetString()!;
        return new Member(session.GetProperty("tenantId").GetGuid(), LocalHostProcess.SubjectOf(token), email, token, session.GetProperty("refreshToken").GetString()!);
    }

    /// <summary>An owner invites someone with <paramref name="role"/>, who accepts and so gets a session.</summary>
    public static async Task<Member> InviteAndAcceptAsync(LocalHostProcess host, string ownerToken, string role)
    {
        var email = $"i-{Guid.NewGuid():N}@example.com";
        using var invite = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, "api/v1/users", ownerToken, new { email, role }));
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var invited = await invite.Content.ReadFromJsonAsync<JsonElement>();
        using var accept = await host.Http.PostAsJsonAsync("api/v1/auth/accept-invite",
            new { inviteToken = invited.GetProperty("inviteToken").GetString(), password = Password });
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        var session = await accept.Content.ReadFromJsonAsync<JsonElement>();
        return new Member(session.GetProperty("tenantId").GetGuid(), invited.GetProperty("id").GetGuid(), email, session.GetProperty("accessToken").GetString()!, session.GetProperty("refreshToken").GetString()!);
    }
}
