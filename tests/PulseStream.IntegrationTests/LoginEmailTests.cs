using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using PulseStream.Identity;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Log-in e-mail addresses stay unique across tenants now that the uniqueness lives in <c>login_emails</c> instead
/// of a cross-tenant index on users (migration 0012): signups race for it, invites claim it, removal frees it, and a
/// failed login with an unknown address is recorded without a tenant.
/// </summary>
public class LoginEmailTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "correct horse battery staple";

    private Task<HttpResponseMessage> SignupAsync(string email) =>
        Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Login Email Co", email, password = Password });

    [Fact]
    public async Task Of_two_concurrent_claims_of_one_address_the_second_waits_for_the_first_and_fails_when_it_commits()
    {
        // As the app role, through the code signup and invite use: the guarantee across app instances (one instance
        // also runs its signups one at a time, so two HTTP signups would not meet in the database).
        await using var dataSource = NpgsqlDataSource.Create(Host.AppConnectionString);
        var database = new Database(dataSource);
        var email = $"race-{Guid.NewGuid():N}@example.com";
        var (firstTenant, secondTenant) = (Guid.CreateVersion7(), Guid.CreateVersion7());

        await using var first = await dataSource.OpenConnectionAsync();
        await using var firstTransaction = await first.BeginTransactionAsync();
        await Database.SetTenantAsync(first, firstTransaction, firstTenant, default);
        await LoginEmails.ClaimAsync(first, firstTransaction, firstTenant, Guid.CreateVersion7(), email, default);

        var second = database.ForTenantAsync(secondTenant, (connection, transaction) =>
            LoginEmails.ClaimAsync(connection, transaction, secondTenant, Guid.CreateVersion7(), email.ToUpperInvariant(), default), default);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.ScalarAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO login_emails%'") == 1,
            TimeSpan.FromSeconds(20)), "The second claim did not wait for the first");
        Assert.False(second.IsCompleted);

        await firstTransaction.CommitAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => second);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM login_emails WHERE email_lower = lower($1) AND tenant_id = $2", email, firstTenant));
    }

    [Fact]
    public async Task A_second_signup_with_an_address_in_any_spelling_gets_email_taken_and_leaves_nothing_behind()
    {
        var email = $"Twice-{Guid.NewGuid():N}@Example.com";
        using (var signup = await SignupAsync(email))
            Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        using (var again = await SignupAsync(email.ToLowerInvariant()))
            await IngestPipelineTests.AssertProblem(again, HttpStatusCode.Conflict, "email-taken");
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM users WHERE lower(email) = lower($1)", email));
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM login_emails WHERE email_lower = lower($1)", email));
        Assert.False(string.IsNullOrEmpty(await Host.LoginAsync(email.ToUpperInvariant(), Password)));
    }

    [Fact]
    public async Task An_invite_claims_the_address_and_removing_the_member_frees_it()
    {
        using var signup = await SignupAsync($"owner-{Guid.NewGuid():N}@example.com");
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        var owner = (await signup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;

        var email = $"Member-{Guid.NewGuid():N}@Example.com";
        using var invite = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/users", owner, new { email, role = "viewer" }));
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var memberId = (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // Invited is enough to hold the address, in any spelling, for signups and for other tenants' invites.
        using (var taken = await SignupAsync(email.ToLowerInvariant()))
            await IngestPipelineTests.AssertProblem(taken, HttpStatusCode.Conflict, "email-taken");

        using (var remove = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/users/{memberId}", owner)))
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM login_emails WHERE user_id = $1", memberId));

        using var again = await SignupAsync(email);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.False(string.IsNullOrEmpty(await Host.LoginAsync(email, Password)));
    }

    [Fact]
    public async Task A_failed_login_with_an_unknown_address_is_recorded_without_a_tenant_in_an_append_only_table()
    {
        var email = $"nobody-{Guid.NewGuid():N}@example.com";
        using (var login = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = Password }))
            await IngestPipelineTests.AssertProblem(login, HttpStatusCode.Unauthorized, "invalid-credentials");

        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log_anonymous WHERE action = 'auth.login_failed' AND summary->>'email' = $1", email));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE summary->>'email' = $1", email));
        Assert.Equal(0, await Host.ScalarAsync("""
            SELECT count(*) FROM (SELECT has_table_privilege($1, 'audit_log_anonymous', 'UPDATE') OR has_table_privilege($1, 'audit_log_anonymous', 'DELETE')
                OR has_table_privilege($1, 'audit_log_anonymous', 'TRUNCATE') AS p) x WHERE p
            """, Host.AppRole));
    }
}
