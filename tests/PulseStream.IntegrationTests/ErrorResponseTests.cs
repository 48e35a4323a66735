using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A host of its own: these tests take its database away and break its grants (each restores what it broke).</summary>
public sealed class ErrorHostFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;

    // The lifetime log category reports the hosting environment; the host's settings keep it quiet otherwise.
    public async Task InitializeAsync() =>
        Host = await LocalHostProcess.StartAsync("pulse_err", settings => settings["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information");

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Every failure answers with RFC 9457 problem details that tell the client what it can do, and nothing an attacker
/// could use: no stack trace, source path, internal type name or echoed request header, whether the failure is an
/// unknown route, a wrong method, an unreachable database or an exception no code path handled.
/// </summary>
public class ErrorResponseTests(ErrorHostFixture fixture) : IClassFixture<ErrorHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    /// <summary>A header value that must never come back.</summary>
    private readonly string _probe = $"probe-{Guid.NewGuid():N}";

    private static readonly string[] Internals = ["   at ", ".cs", "Npgsql", "Exception", "PulseStream.", "permission denied", "SqlState"];

    [Theory]
    [InlineData("GET", "api/no-such-route")]
    [InlineData("POST", "api/v1/no-such-route")]
    [InlineData("GET", "no-such-page")]
    [InlineData("GET", "signalr/no-such-route")]
    [InlineData("GET", "local/no-such-route")]
    public async Task An_unknown_route_answers_404_not_found_as_problem_details(string method, string path)
    {
        using var response = await SendAsync(method, path);

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("GET", "api/v1/events/batch", "POST")]
    [InlineData("DELETE", "api/v1/auth/login", "POST")]
    [InlineData("GET", "local/discard", "POST")]
    public async Task A_known_route_called_with_another_method_answers_405_with_Allow(string method, string path, string allowed)
    {
        using var response = await SendAsync(method, path);

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        Assert.Contains(allowed, response.Content.Headers.Allow);
    }

    [Theory]
    [InlineData("POST", "signalr/api/v1/hubs/pulse/groups/someone")]
    [InlineData("POST", "signalr/client/negotiate?hub=pulse")]
    public async Task The_SignalR_surface_refuses_a_bad_credential_with_problem_details(string method, string path)
    {
        using var response = await SendAsync(method, path, bearer: "not-a-token");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task While_the_database_refuses_connections_requests_answer_503_with_Retry_After_and_reveal_nothing()
    {
        var token = await Host.LoginAsync();
        var database = new NpgsqlConnectionStringBuilder(Host.ConnectionString).Database;
        try
        {
            // New connections are refused (too many connections: the limit is 0; the superuser is exempt) and the open
            // ones are cut, as a restarting or overloaded server would.
            await AdminAsync($"ALTER DATABASE {database} CONNECTION LIMIT 0");
            await AdminAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

            foreach (var (method, path) in new[] { ("GET", "api/v1/alerts"), ("GET", "api/v1/dashboard/overview?window=1h"), ("GET", "api/v1/alerts"), ("GET", "api/v1/api-keys") })
            {
                using var response = await SendAsync(method, path, bearer: token);
                var body = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "unavailable", secrets: token);
                Assert.Equal("2", Assert.Single(response.Headers.GetValues("Retry-After")));
                Assert.Equal(body.GetProperty("correlationId").GetString(), Assert.Single(response.Headers.GetValues("X-Correlation-Id")));
            }
            // The demo password is a secret too, and login reads the database.
            using var login = await SendAsync("POST", "api/v1/auth/login", json: JsonSerializer.Serialize(new { email = Host.Demo.Email, password = Host.Demo.Password }));
            await AssertProblemAsync(login, HttpStatusCode.ServiceUnavailable, "unavailable", secrets: Host.Demo.Password);
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE {database} CONNECTION LIMIT -1");
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
        {
            using var response = await SendAsync("GET", "api/v1/alerts", bearer: token);
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(20)), "the host did not recover once the database took connections again");
    }

    /// <summary>
    /// A failure no code path handles, forced for real: the application role loses its right to read the alerts table
    /// (as a botched grant would do), so the alerts query fails in Postgres.
    /// </summary>
    [Fact]
    public async Task An_unhandled_exception_answers_500_with_a_correlation_id_that_leads_to_the_logged_details()
    {
        var token = await Host.LoginAsync();
        JsonElement body;
        HttpResponseMessage response;
        try
        {
            await AdminAsync($"REVOKE SELECT ON alerts FROM {Host.AppRole}");
            response = await SendAsync("GET", "api/v1/alerts", bearer: token);
            body = await AssertProblemAsync(response, HttpStatusCode.InternalServerError, "internal-error", secrets: token);
        }
        finally
        {
            await AdminAsync($"GRANT SELECT ON alerts TO {Host.AppRole}");
        }

        using (response)
        {
            var correlationId = body.GetProperty("correlationId").GetString()!;
            Assert.Matches("^[0-9a-f]{32}$", correlationId);
            Assert.Equal(correlationId, Assert.Single(response.Headers.GetValues("X-Correlation-Id")));
            // The details are in the host's log, under the id the client was given.
            Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(Host.Output.Contains(correlationId, StringComparison.Ordinal)), TimeSpan.FromSeconds(5)),
                "the correlation id is not in the host's log");
            var logged = Host.Output[Host.Output.IndexOf(correlationId, StringComparison.Ordinal)..];
            Assert.Contains("permission denied for table alerts", logged, StringComparison.Ordinal);
        }
        // And no developer exception page: the host runs in Production mode.
        Assert.Contains("Hosting environment: Production", Host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kestrels_own_answer_to_a_malformed_request_reveals_nothing()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Host.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Probe: {_probe}\r\nBad Header Line\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        AssertRevealsNothing(answer);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? bearer = null, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("X-Probe", _probe);
        request.Headers.Add("Cookie", $"session={_probe}");
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await Host.Http.SendAsync(request);
    }

    /// <summary>The answer is problem details of the status and type, and neither body nor headers reveal anything.</summary>
    private async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type, params string[] secrets)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal($"https://pulsestream.dev/problems/{type}", body.GetProperty("type").GetString());
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        var headers = string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}"));
        AssertRevealsNothing(text + "\n" + headers, secrets);
        return body;
    }

    private void AssertRevealsNothing(string answer, params string[] secrets)
    {
        foreach (var value in Internals.Concat(secrets).Append(_probe))
            Assert.False(answer.Contains(value, StringComparison.Ordinal), $"the answer reveals '{value}':\n{answer}");
    }

    private async Task AdminAsync(string sql)
    {
        // Unpooled: terminating the database's other backends must not leave this test a dead pooled connection.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Host.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
