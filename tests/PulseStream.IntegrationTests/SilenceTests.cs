using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A host of its own whose tenants may have 3 silences in force, so the count limit is reached quickly.</summary>
public sealed class SilenceHostFixture : IAsyncLifetime
{
    public const int MaxPerTenant = 3;
    public LocalHostProcess Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_silences", settings =>
    {
        settings["Silences__MaxPerTenant"] = MaxPerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Auth__Signup__PerAddressPerHour"] = "1000";
        settings["Auth__Signup__PerMinute"] = "1000";
        settings["Auth__Signup__Burst"] = "1000";
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Silences as Admins make, read and expire them and Viewers only preview them: the author is the caller, the body is
/// checked field by field, the maximum length (30 days by default) and the per-tenant count hold, every change is
/// audited, and a preview lists the open alerts the matchers match, from real evaluation.
/// </summary>
public class SilenceTests(SilenceHostFixture fixture) : IClassFixture<SilenceHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static object Body(DateTimeOffset endsAt, DateTimeOffset? startsAt = null, object? matchers = null, string comment = "deploying checkout") => new
    {
        matchers = matchers ?? new[] { new { name = "route", op = "=", value = "/v1/checkout" } },
        startsAt,
        endsAt,
        comment,
        expireOnResolve = true,
    };

    [Fact]
    public async Task An_admin_creates_a_silence_authored_by_them_that_viewers_can_neither_read_nor_write()
    {
        var owner = await People.SignupAsync(Host, "Silence Co");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");
        var endsAt = DateTimeOffset.UtcNow.AddHours(2);

        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(endsAt));
        Assert.Equal(HttpStatusCode.Created, status);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("active", created.GetProperty("state").GetString());
        Assert.Equal(owner.Id, created.GetProperty("createdBy").GetProperty("userId").GetGuid());
        Assert.Equal(owner.Email, created.GetProperty("createdBy").GetProperty("email").GetString());
        Assert.Equal("deploying checkout", created.GetProperty("comment").GetString());
        Assert.True(created.GetProperty("expireOnResolve").GetBoolean());
        Assert.Equal(endsAt.ToUnixTimeMilliseconds(), created.GetProperty("endsAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        var matcher = Assert.Single(created.GetProperty("matchers").EnumerateArray().ToList());
        Assert.Equal(("route", "=", "/v1/checkout"), (matcher.GetProperty("name").GetString(), matcher.GetProperty("op").GetString(), matcher.GetProperty("value").GetString()));

        var list = await Host.GetJsonAsync("api/v1/silences", owner.AccessToken);
        Assert.Equal(id, Assert.Single(list.GetProperty("items").EnumerateArray().ToList()).GetProperty("id").GetGuid());
        Assert.Equal("active", (await Host.GetJsonAsync($"api/v1/silences/{id}", owner.AccessToken)).GetProperty("state").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Get, "api/v1/silences", viewer.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/silences/{id}", viewer.AccessToken)).Status);

        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", viewer.AccessToken, Body(endsAt))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{id}", viewer.AccessToken)).Status);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM silences WHERE tenant_id = $1", owner.TenantId));
        Assert.Equal(1, await Host.ScalarAsync(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'silence.create' AND target_id = $2 AND actor_id = $3 AND summary->'matchers'->0->>'value' = '/v1/checkout'",
            owner.TenantId, id.ToString(), owner.Id.ToString()));

        // Another tenant sees none of it.
        var other = await People.SignupAsync(Host, "Other Co");
        Assert.Empty((await Host.GetJsonAsync("api/v1/silences", other.AccessToken)).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/silences/{id}", other.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{id}", other.AccessToken)).Status);
    }

    [Fact]
    public async Task An_invalid_silence_is_refused_naming_each_field_and_thirty_days_is_the_longest()
    {
        var owner = await People.SignupAsync(Host, "Strict Co");
        var now = DateTimeOffset.UtcNow;

        var (status, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, new
        {
            matchers = new[] { new { name = "route", op = "=~", value = "(" }, new { name = "host", op = "=", value = "a" } },
            endsAt = now.AddHours(-1),
            comment = "",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "matchers[0]", "matchers[1]", "endsAt", "comment" }, fields);

        var start = now.AddHours(1);
        var tooLong = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(start.AddDays(30).AddMinutes(1), start));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);
        Assert.Contains("30d", Assert.Single(tooLong.Body.GetProperty("errors").EnumerateArray().ToList()).GetProperty("message").GetString());
        var matchesEverything = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken,
            Body(now.AddHours(1), matchers: new[] { new { name = "rule", op = "=~", value = ".*" } }));
        Assert.Equal(HttpStatusCode.BadRequest, matchesEverything.Status);

        var (longest, pending) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(start.AddDays(30), start));
        Assert.Equal(HttpStatusCode.Created, longest);
        Assert.Equal("pending", pending.GetProperty("state").GetString());
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM silences WHERE tenant_id = $1", owner.TenantId));
    }

    [Fact]
    public async Task Expiring_a_silence_ends_it_now_records_who_and_a_second_expiry_is_a_conflict()
    {
        var owner = await People.SignupAsync(Host, "Expiry Co");
        var admin = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "admin");
        var (_, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(DateTimeOffset.UtcNow.AddHours(3)));
        var id = created.GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{id}", admin.AccessToken)).Status);
        var expired = await Host.GetJsonAsync($"api/v1/silences/{id}", owner.AccessToken);
        Assert.Equal("expired", expired.GetProperty("state").GetString());
        Assert.Equal(admin.Id, expired.GetProperty("expiredBy").GetProperty("userId").GetGuid());
        Assert.True(expired.GetProperty("endsAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.Equal(owner.Id, expired.GetProperty("createdBy").GetProperty("userId").GetGuid());

        var again = await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{id}", owner.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{Guid.NewGuid()}", owner.AccessToken)).Status);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'silence.expire' AND target_id = $2 AND actor_id = $3",
            owner.TenantId, id.ToString(), admin.Id.ToString()));
        // Still listed, as expired.
        Assert.Equal("expired", Assert.Single((await Host.GetJsonAsync("api/v1/silences", owner.AccessToken)).GetProperty("items").EnumerateArray().ToList())
            .GetProperty("state").GetString());
    }

    [Fact]
    public async Task Concurrent_creates_stop_at_the_tenant_count_limit_and_an_expired_silence_frees_a_place()
    {
        var owner = await People.SignupAsync(Host, "Limit Co");
        var endsAt = DateTimeOffset.UtcNow.AddHours(1);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(endsAt))));
        Assert.Equal(SilenceHostFixture.MaxPerTenant, answers.Count(a => a.Status == HttpStatusCode.Created));
        var refused = answers.Where(a => a.Status != HttpStatusCode.Created).ToList();
        Assert.All(refused, a => Assert.Equal(HttpStatusCode.Conflict, a.Status));
        Assert.Contains("Silences:MaxPerTenant", refused[0].Body.GetProperty("detail").GetString());
        Assert.Equal(SilenceHostFixture.MaxPerTenant, await Host.ScalarAsync("SELECT count(*) FROM silences WHERE tenant_id = $1", owner.TenantId));

        var first = answers.First(a => a.Status == HttpStatusCode.Created).Body.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{first}", owner.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.Created, (await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, Body(endsAt))).Status);
    }

    [Fact]
    public async Task A_preview_lists_the_open_alerts_the_matchers_match()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Preview Co", $"p-{Guid.NewGuid():N}@example.com", People.Password, default);
        var ownerToken = await Host.LoginAsync(tenant.OwnerEmail, People.Password);
        var viewer = await People.InviteAndAcceptAsync(Host, ownerToken, "viewer");
        var apiKey = tenant.ApiKey;

        // One rule per route, grouped by route, firing at once on errors: real alerts from real evaluation.
        foreach (var route in new[] { "/v1/checkout", "/v1/search" })
        {
            var (created, _) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", ownerToken, new
            {
                name = $"errors on {route}", enabled = true, severity = route == "/v1/checkout" ? "critical" : "warning",
                condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", filters = new { route }, minRequests = 5 },
                @for = "0s",
            });
            Assert.Equal(HttpStatusCode.Created, created);
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            foreach (var route in new[] { "/v1/checkout", "/v1/search" })
                using (await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 10).Select(_ => Payloads.Event(route, 500, 40))), apiKey))) { }
            return await Host.ScalarAsync("SELECT count(*) FROM alerts WHERE tenant_id = $1 AND state = 'firing'", tenant.TenantId) == 2;
        }, TimeSpan.FromSeconds(60)), "two alerts should fire\n" + Host.Output);

        async Task<(long Matched, string Rules)> PreviewAsync(object matchers)
        {
            var (status, body) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences/preview", viewer.AccessToken, new { matchers });
            Assert.Equal(HttpStatusCode.OK, status);
            return (body.GetProperty("matched").GetInt64(), body.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("ruleName").GetString()).Order().Aggregate("", (all, n) => all + n + ";"));
        }

        Assert.Equal((1L, "errors on /v1/checkout;"), await PreviewAsync(new[] { new { name = "route", op = "=", value = "/v1/checkout" } }));
        Assert.Equal(2L, (await PreviewAsync(new[] { new { name = "route", op = "=~", value = "/v1/.*" } })).Matched);
        Assert.Equal((1L, "errors on /v1/search;"),
            await PreviewAsync(new[] { new { name = "route", op = "=~", value = "/v1/.*" }, new { name = "severity", op = "!=", value = "critical" } }));
        Assert.Equal(0L, (await PreviewAsync(new[] { new { name = "rule", op = "=", value = "nothing like it" } })).Matched);
        var (invalid, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences/preview", viewer.AccessToken, new { matchers = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.BadRequest, invalid);
        Assert.Equal("matchers", problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }
}
