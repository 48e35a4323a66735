using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Sessions, keys, audit and throttling, through the routes a person and a client use.</summary>
public class IdentityTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "correct horse battery staple";

    private async Task<JsonElement> SignupAsync(string? email = null)
    {
        using var response = await Host.Http.PostAsJsonAsync("api/v1/auth/signup",
            new { tenantName = "Signup Co", email = email ?? $"s-{Guid.NewGuid():N}@example.com", password = Password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> RefreshAsync(string token) =>
        await Host.Http.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = token });

    [Fact]
    public async Task Signup_makes_an_owner_with_a_session_and_emails_are_unique_case_insensitively()
    {
        var email = $"Mixed-{Guid.NewGuid():N}@Example.com";
        var session = await SignupAsync(email);
        Assert.Equal("owner", session.GetProperty("role").GetString());
        Assert.StartsWith("psr_", session.GetProperty("refreshToken").GetString());
        Assert.Equal(900, session.GetProperty("expiresIn").GetInt32());

        using var again = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Again", email = email.ToLowerInvariant(), password = Password });
        await IngestPipelineTests.AssertProblem(again, HttpStatusCode.Conflict, "email-taken");
        var token = await Host.LoginAsync(email.ToUpperInvariant(), Password);
        Assert.False(string.IsNullOrEmpty(token));
    }

    [Theory]
    [InlineData("short pass")]
    [InlineData("1qaz2wsx3edc")]
    [InlineData("QWERTY123456")]
    public async Task Signup_refuses_short_and_common_passwords(string password)
    {
        using var response = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Weak", email = $"w-{Guid.NewGuid():N}@example.com", password });
        await IngestPipelineTests.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-signup");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "password");
    }

    // Rotation and reuse detection, with the refresh grace between them: RefreshGraceTests (a host with a short grace).

    [Fact]
    public async Task Logout_revokes_the_family()
    {
        var session = await SignupAsync();
        var refresh = session.GetProperty("refreshToken").GetString()!;
        using var logout = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/auth/logout", session.GetProperty("accessToken").GetString()!, new { refreshToken = refresh }));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var after = await RefreshAsync(refresh);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task An_api_key_works_at_ingest_until_revoked_and_stops_within_30_seconds_and_its_text_is_shown_once()
    {
        var token = (await SignupAsync()).GetProperty("accessToken").GetString()!;
        using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", token, new { name = "checkout service" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var text = key.GetProperty("key").GetString()!;
        Assert.StartsWith("psk_live_", text);

        using (var ok = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event(), text)))
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);

        var listing = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/api-keys", token))).Content.ReadAsStringAsync();
        Assert.Contains(key.GetProperty("prefix").GetString()!, listing);
        Assert.DoesNotContain(text, listing);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            var keys = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/api-keys", token))).Content.ReadFromJsonAsync<JsonElement>();
            return keys.GetProperty("items")[0].TryGetProperty("lastUsedAt", out _);
        }, TimeSpan.FromSeconds(10)), "last used was not recorded");

        using (var revoke = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/api-keys/{key.GetProperty("id").GetString()}", token)))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revokedAt = DateTime.UtcNow;
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var attempt = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event(), text));
            return attempt.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(30)));
        Assert.True(DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_key_limited_to_some_environments_cannot_send_others()
    {
        var token = (await SignupAsync()).GetProperty("accessToken").GetString()!;
        using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", token, new { name = "staging only", environments = new[] { "staging" } }));
        var text = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new
        {
            events = new object[]
            {
                new { timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = "/a", statusCode = 200, latencyMs = 1, environment = "staging" },
                new { timestamp = DateTimeOffset.UtcNow.ToString("O"), method = "GET", path = "/a", statusCode = 200, latencyMs = 1 },
            },
        }, text));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("index").GetInt32());
        Assert.Equal("environment", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Changes_and_logins_are_audited_newest_first_and_filterable()
    {
        var email = $"audit-{Guid.NewGuid():N}@example.com";
        var token = (await SignupAsync(email)).GetProperty("accessToken").GetString()!;
        using (await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = "wrong password here" })) { }
        await Host.LoginAsync(email, Password);
        using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", token, new { name = "audited" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var keyText = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        var audit = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/audit", token))).Content.ReadFromJsonAsync<JsonElement>();
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["api_key.create", "auth.login", "auth.login_failed", "tenant.signup"], actions);
        Assert.DoesNotContain(keyText, audit.GetRawText());
        Assert.DoesNotContain(Password, audit.GetRawText());

        var filtered = await (await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/audit?action=auth.login", token))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Single(filtered.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Repeated_failures_lock_an_email_with_retry_after_whether_or_not_it_exists()
    {
        foreach (var email in new[] { (await SignupAsync()).GetProperty("tenantId").GetString() is { } ? $"nobody-{Guid.NewGuid():N}@example.com" : "", $"locked-{Guid.NewGuid():N}@example.com" })
        {
            for (var i = 0; i < 5; i++)
            {
                using var failed = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = "wrong password here" });
                Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
            }
            using var locked = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = "wrong password here" });
            await IngestPipelineTests.AssertProblem(locked, HttpStatusCode.TooManyRequests, "too-many-attempts");
            Assert.True(int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
    }

    [Fact]
    public async Task Secrets_never_appear_in_the_logs_of_signup_login_refresh_and_key_creation()
    {
        var email = $"logs-{Guid.NewGuid():N}@example.com";
        var session = await SignupAsync(email);
        using var login = await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = Password });
        var loggedIn = await login.Content.ReadFromJsonAsync<JsonElement>();
        using var refreshed = await RefreshAsync(loggedIn.GetProperty("refreshToken").GetString()!);
        var rotated = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", loggedIn.GetProperty("accessToken").GetString()!, new { name = "logged?" }));
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using (await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event(), key))) { }
        using (await Host.Http.PostAsJsonAsync("api/v1/auth/login", new { email, password = "a wrong password!" })) { }
        await Task.Delay(500);

        var logs = Host.Output;
        Assert.Contains("Login succeeded", logs); // the capture works
        string[] secrets =
        [
            Password, "a wrong password!", key, session.GetProperty("accessToken").GetString()!, session.GetProperty("refreshToken").GetString()!,
            loggedIn.GetProperty("accessToken").GetString()!, loggedIn.GetProperty("refreshToken").GetString()!,
            rotated.GetProperty("refreshToken").GetString()!, Host.SigningKey,
        ];
        foreach (var secret in secrets) Assert.DoesNotContain(secret, logs);
    }

    public static TheoryData<string> TamperedTokens() => ["alg-none", "other-key", "changed-payload", "wrong-audience", "wrong-issuer", "expired", "unknown-kid"];

    [Theory]
    [MemberData(nameof(TamperedTokens))]
    public async Task Forged_and_tampered_tokens_are_refused(string attack)
    {
        var valid = await Host.LoginAsync();
        var tenant = Host.Demo.TenantId;
        var owner = LocalHostProcess.SubjectOf(valid);
        var token = attack switch
        {
            "alg-none" => Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + valid.Split('.')[1] + ".",
            "other-key" => Host.MintToken("owner", tenant, key: new byte[32], userId: owner),
            "changed-payload" => valid.Split('.')[0] + "." + Base64Url(Base64UrlDecode(valid.Split('.')[1]).Replace("\"owner\"", "\"admin\"", StringComparison.Ordinal)
                .Replace("\"tid\":\"", "\"tid\":\"0", StringComparison.Ordinal)) + "." + valid.Split('.')[2],
            "wrong-audience" => Host.MintToken("owner", tenant, audience: "someone-else", userId: owner),
            "wrong-issuer" => Host.MintToken("owner", tenant, issuer: "evil", userId: owner),
            "expired" => Host.MintToken("owner", tenant, expires: DateTime.UtcNow.AddSeconds(-45), userId: owner),
            _ => Host.MintToken("owner", tenant, kid: "k9", userId: owner),
        };
        // The control: a token minted with the right key and claims is accepted, so each refusal is the attack's doing.
        using (var control = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=5m", Host.MintToken("owner", tenant, userId: owner))))
            Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=5m", token));
        await IngestPipelineTests.AssertProblem(response, HttpStatusCode.Unauthorized, "invalid-token");
    }

    private static string Base64Url(string text) => Base64UrlEncoder.Encode(text);
    private static string Base64UrlDecode(string text) => Base64UrlEncoder.Decode(text);
}
