using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Every HTTP function of the three apps, read from their generated functions.metadata, called with no credential,
/// an expired token, a token of each role and a token of another tenant. A route missing from <see cref="Expected"/>
/// fails the test, so a new route cannot ship without its access rule being stated and checked. Role tokens are
/// those of real members with that role: the host judges a token by its subject's current membership.
/// </summary>
public class RouteAuthorizationTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private const string Anyone = "anyone";
    private const string ApiKey = "api-key";
    private const string ServiceSignature = "signalr-service-signature";
    private const string OperatorKey = "operator-key";

    /// <summary>The contract's access rule per route: who may call it.</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["POST /api/v1/events"] = ApiKey,
        ["POST /api/v1/events/batch"] = ApiKey,
        ["POST /api/otlp/v1/traces"] = ApiKey,
        ["GET /api/health"] = Anyone,
        ["GET /dashboard/{*path}"] = Anyone,
        ["POST /api/v1/auth/signup"] = Anyone,
        ["POST /api/v1/auth/login"] = Anyone,
        ["POST /api/v1/auth/refresh"] = Anyone,
        ["POST /api/v1/auth/logout"] = "viewer",
        ["POST /api/v1/auth/accept-invite"] = Anyone,
        ["GET /api/v1/users"] = "admin",
        ["POST /api/v1/users"] = "owner",
        ["PATCH /api/v1/users/{id}"] = "owner",
        ["DELETE /api/v1/users/{id}"] = "owner",
        ["GET /api/v1/settings/retention"] = "viewer",
        ["PUT /api/v1/settings/retention"] = "owner",
        ["POST /api/negotiate"] = "viewer",
        ["POST /api/signalr/upstream/{hub}/{category}/{event}"] = ServiceSignature,
        ["GET /api/v1/dashboard/overview"] = "viewer",
        ["GET /api/v1/dashboard/insights"] = "viewer",
        ["GET /api/v1/metrics/timeseries"] = "viewer",
        ["GET /api/v1/events"] = "viewer",
        ["GET /api/v1/routes"] = "viewer",
        ["GET /api/v1/export"] = "viewer",
        ["GET /api/v1/consumers"] = "viewer",
        ["GET /api/v1/routes/detail"] = "viewer",
        ["GET /api/v1/consumers/detail"] = "viewer",
        ["GET /api/v1/dashboard/connections"] = "admin",
        ["GET /api/v1/settings/limits"] = "viewer",
        ["POST /api/v1/api-keys"] = "admin",
        ["GET /api/v1/api-keys"] = "admin",
        ["DELETE /api/v1/api-keys/{id}"] = "admin",
        ["GET /api/v1/audit"] = "admin",
        ["GET /api/v1/alert-rules"] = "viewer",
        ["POST /api/v1/alert-rules"] = "admin",
        ["GET /api/v1/alert-rules/{id}"] = "viewer",
        ["GET /api/v1/alerts"] = "viewer",
        ["POST /api/v1/alerts/{id}/ack"] = "viewer",
        ["PUT /api/v1/alert-rules/{id}"] = "admin",
        ["DELETE /api/v1/alert-rules/{id}"] = "admin",
        ["POST /api/v1/alert-rules/{id}/enable"] = "admin",
        ["POST /api/v1/alert-rules/{id}/disable"] = "admin",
        ["POST /api/v1/alert-rules/preview"] = "viewer",
        ["GET /api/v1/alert-rules/{id}/baselines"] = "viewer",
        ["GET /api/v1/alerts/{id}"] = "viewer",
        ["POST /api/v1/alerts/{id}/resolve"] = "admin",
        ["GET /api/v1/alerts/summary"] = "viewer",
        ["GET /api/admin/dead-letters"] = OperatorKey,
        ["POST /api/admin/dead-letters/replay"] = OperatorKey,
        ["GET /api/v1/deliveries"] = "viewer",
        ["GET /api/v1/silences"] = "admin",
        ["GET /api/v1/silences/{id}"] = "admin",
        ["POST /api/v1/silences"] = "admin",
        ["DELETE /api/v1/silences/{id}"] = "admin",
        ["POST /api/v1/silences/preview"] = "viewer",
        ["POST /api/v1/deliveries/{id}/retry"] = "admin",
        ["GET /api/v1/channels"] = "admin",
        ["POST /api/v1/channels"] = "admin",
        ["PUT /api/v1/channels/{id}"] = "admin",
        ["DELETE /api/v1/channels/{id}"] = "admin",
        ["POST /api/v1/channels/{id}/test"] = "admin",
        ["POST /api/v1/channels/{id}/rotate-secret"] = "admin",
        ["GET /api/v1/escalation-policies"] = "admin",
        ["POST /api/v1/escalation-policies"] = "admin",
        ["GET /api/v1/escalation-policies/{id}"] = "admin",
        ["PUT /api/v1/escalation-policies/{id}"] = "admin",
        ["DELETE /api/v1/escalation-policies/{id}"] = "admin",
        ["GET /api/v1/maintenance-windows"] = "viewer",
        ["GET /api/v1/maintenance-windows/{id}"] = "viewer",
        ["GET /api/v1/maintenance-windows/{id}/occurrences"] = "viewer",
        ["POST /api/v1/maintenance-windows"] = "admin",
        ["PUT /api/v1/maintenance-windows/{id}"] = "admin",
        ["DELETE /api/v1/maintenance-windows/{id}"] = "admin",
        ["GET /api/v1/slos"] = "viewer",
        ["GET /api/v1/slos/{id}"] = "viewer",
        ["GET /api/v1/slos/{id}/status"] = "viewer",
        ["GET /api/v1/slos/{id}/series"] = "viewer",
        ["GET /api/v1/slos/{id}/consumers"] = "viewer",
        ["POST /api/v1/slos"] = "admin",
        ["PUT /api/v1/slos/{id}"] = "admin",
        ["DELETE /api/v1/slos/{id}"] = "admin",
    };

    private static readonly string[] RoleOrder = ["viewer", "admin", "owner"];

    public static IEnumerable<(string Method, string Route)> HttpFunctions()
    {
        foreach (var app in new[] { "Ingest", "Alerts", "Realtime" })
        {
            var path = Path.Combine(TestEnvironment.RepoRoot, "src", $"Functions.{app}", "bin", TestEnvironment.Configuration, "net10.0", "functions.metadata");
            var prefix = app == "Realtime" ? "" : "api/";
            foreach (var function in JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray())
            foreach (var binding in function.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            foreach (var method in binding.GetProperty("methods").EnumerateArray())
                yield return (method.GetString()!.ToUpperInvariant(), "/" + prefix + binding.GetProperty("route").GetString());
        }
    }

    private string Token(string role, Guid tenantId, Guid userId, DateTime? expires = null) => Host.MintToken(role, tenantId, expires, userId: userId);

    /// <summary>A member of the demo tenant for each role (the demo owner; an admin and a viewer invited here).</summary>
    private async Task<Dictionary<string, Guid>> DemoMembersAsync()
    {
        var owner = await Host.LoginAsync();
        return new()
        {
            ["owner"] = LocalHostProcess.SubjectOf(owner),
            ["admin"] = (await People.InviteAndAcceptAsync(Host, owner, "admin")).Id,
            ["viewer"] = (await People.InviteAndAcceptAsync(Host, owner, "viewer")).Id,
        };
    }

    private async Task<HttpStatusCode> CallAsync(string method, string route, string? bearer)
    {
        var path = route.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("{*path}", "", StringComparison.Ordinal)
            .Replace("{hub}/{category}/{event}", "pulse/connections/connected", StringComparison.Ordinal).TrimStart('/');
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        using var response = await Host.Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public void Every_http_function_has_a_stated_access_rule()
    {
        var routes = HttpFunctions().Select(f => $"{f.Method} {f.Route}").ToHashSet();
        Assert.Empty(routes.Except(Expected.Keys));
        Assert.Empty(Expected.Keys.Except(routes));
    }

    [Fact]
    public async Task Every_route_answers_each_caller_as_the_contract_says()
    {
        var otherTenant = await Provisioning.For(Host).CreateTenantAsync("Other", $"x-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var members = await DemoMembersAsync();
        var failures = new List<string>();
        foreach (var (method, route) in HttpFunctions().Distinct())
        {
            var rule = Expected[$"{method} {route}"];
            if (rule is Anyone) continue;
            if (rule is ApiKey or ServiceSignature or OperatorKey)
            {
                // A bearer token is neither an API key, the SignalR Service's signature nor the operator's key.
                Check(await CallAsync(method, route, Token("owner", Host.Demo.TenantId, members["owner"])), HttpStatusCode.Unauthorized, "owner token");
                Check(await CallAsync(method, route, null), HttpStatusCode.Unauthorized, "no credential");
                continue;
            }
            Check(await CallAsync(method, route, null), HttpStatusCode.Unauthorized, "no token");
            Check(await CallAsync(method, route, Host.Demo.ApiKey), HttpStatusCode.Unauthorized, "an ingest API key as bearer");
            Check(await CallAsync(method, route, Token("owner", Host.Demo.TenantId, members["owner"], DateTime.UtcNow.AddMinutes(-2))), HttpStatusCode.Unauthorized, "expired token");
            // A token whose role claim says owner, of someone who is a member no longer (or never was).
            Check(await CallAsync(method, route, Token("owner", Host.Demo.TenantId, Guid.NewGuid())), HttpStatusCode.Unauthorized, "token of a non-member");
            foreach (var role in RoleOrder)
            {
                // The role claim says owner; the member's current role is what counts.
                var status = await CallAsync(method, route, Token("owner", Host.Demo.TenantId, members[role]));
                if (Array.IndexOf(RoleOrder, role) < Array.IndexOf(RoleOrder, rule)) Check(status, HttpStatusCode.Forbidden, $"{role} token");
                else if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) failures.Add($"{method} {route}: {role} token got {(int)status}");
            }
            // Another tenant's owner: allowed in, but ids of this tenant are not found (random ids here; real ids below).
            if (route.Contains("{id}", StringComparison.Ordinal))
                Check(await CallAsync(method, route, Token("owner", otherTenant.TenantId, otherTenant.OwnerId)), HttpStatusCode.NotFound, "other tenant");

            void Check(HttpStatusCode actual, HttpStatusCode expected, string who)
            {
                if (actual != expected) failures.Add($"{method} {route}: {who} got {(int)actual}, expected {(int)expected}");
            }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Another_tenant_cannot_revoke_a_key_by_its_id_and_the_key_keeps_working()
    {
        var other = await Provisioning.For(Host).CreateTenantAsync("Thief", $"t-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var victimToken = await Host.LoginAsync();
        using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/api-keys", victimToken, new { name = "victim key" }));
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        using var attack = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Delete, $"api/v1/api-keys/{key.GetProperty("id").GetString()}",
            await Host.LoginAsync(other.OwnerEmail, "a long password 123")));
        Assert.Equal(HttpStatusCode.NotFound, attack.StatusCode);
        using var ingest = await Host.Http.SendAsync(Host.Ingest("api/v1/events", Payloads.Event(), key.GetProperty("key").GetString()));
        Assert.Equal(HttpStatusCode.Accepted, ingest.StatusCode);
    }
}
