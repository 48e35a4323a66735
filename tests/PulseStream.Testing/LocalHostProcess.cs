using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Net.Http.Json;
using Npgsql;

namespace PulseStream.Testing;

/// <summary>The demo tenant the local host seeded (its <c>demo.json</c>).</summary>
public sealed record DemoTenant(string ApiKey, string Email, string Password, Guid TenantId, string BaseUrl, Guid ChannelId, string WebhookSecret);

/// <summary>
/// The local host as a real process (<c>dotnet PulseStream.LocalHost.dll</c>) on a free port, with its own
/// database and state directory, driven over HTTP like a user would. It can be killed and restarted on the same
/// database to test durability.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    /// <summary>The superuser's connection to this host's database (test assertions see every tenant).</summary>
    public string ConnectionString { get; private set; } = "";
    public string AppRole => new NpgsqlConnectionStringBuilder(ConnectionString).Database + "_app";
    public string AppRolePassword { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    /// <summary>The connection the apps use: the application role, subject to row-level security.</summary>
    public string AppConnectionString => new NpgsqlConnectionStringBuilder(ConnectionString) { Username = AppRole, Password = AppRolePassword }.ConnectionString;
    public string StateDir { get; } = Directory.CreateTempSubdirectory("pulse-host-").FullName;
    public int Port { get; } = TestEnvironment.FreePort();
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");
    public string ProtectionKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    /// <summary>The access-token signing key, known to tests so they can forge and tamper with tokens.</summary>
    public string SigningKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    public DemoTenant Demo { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The host's process id while it runs (the benchmarks read its CPU time).</summary>
    public int? ProcessId => _process?.Id;

    public static async Task<LocalHostProcess> StartAsync(string name, Action<IDictionary<string, string>>? configure = null)
    {
        var host = new LocalHostProcess { ConnectionString = await TestEnvironment.CreateDatabaseAsync(name) };
        host.Http.BaseAddress = host.BaseUrl;
        configure?.Invoke(host.Settings);
        await host.StartAsync();
        return host;
    }

    public async Task StartAsync()
    {
        var dll = Path.Combine(TestEnvironment.RepoRoot, "src", "LocalHost", "bin", TestEnvironment.Configuration, "net10.0", "PulseStream.LocalHost.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = StateDir,
        };
        start.Environment["ASPNETCORE_URLS"] = BaseUrl.ToString().TrimEnd('/');
        start.Environment["PostgresConnection"] = ConnectionString;
        start.Environment["TablesConnection"] = TestEnvironment.Tables;
        start.Environment["Pulse__StateDir"] = StateDir;
        start.Environment["Secrets__ProtectionKey"] = ProtectionKey;
        start.Environment["Auth__SigningKey"] = SigningKey;
        start.Environment["Postgres__AppRole"] = AppRole;
        start.Environment["Postgres__AppRolePassword"] = AppRolePassword;
        start.Environment["Logging__LogLevel__Default"] = "Information";
        // Signing up and in hashes a password: 0.34 s of CPU each at the apps' 600,000 iterations, hundreds of times
        // across the suite. A test may set its own (a host without it hashes as production does).
        start.Environment["Auth__InsecureTestPasswordIterations"] = "1000";
        // The host's default (Production), whatever the shell that runs the tests says.
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        foreach (var (key, value) in Settings) start.Environment[key] = value;

        _process = Process.Start(start) ?? throw new InvalidOperationException("The local host did not start.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // A guard against a host that hangs, not a speed check: on two cores shared with a browser and other hosts,
        // a healthy start has taken over a minute.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The local host exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await Http.GetAsync("api/health");
                if (response.IsSuccessStatusCode && File.Exists(Path.Combine(StateDir, "demo.json"))) break;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The local host did not become healthy:\n{Output}");
            await Task.Delay(200);
        }
        Demo = JsonSerializer.Deserialize<DemoTenant>(await File.ReadAllTextAsync(Path.Combine(StateDir, "demo.json")), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    /// <summary>Kills the process without letting it shut down: nothing in memory survives.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(10_000);
    }

    public async Task<string> LoginAsync(string? email = null, string? password = null)
    {
        using var response = await Http.PostAsJsonAsync("api/v1/auth/login", new { email = email ?? Demo.Email, password = password ?? Demo.Password });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }

    /// <summary>
    /// Mints an access token as the host would (or, with other arguments, as an attacker might). The host judges a
    /// token by its subject's current membership: without <paramref name="userId"/> the subject is nobody, and only
    /// a token that fails before that check (signature, lifetime, audience) means anything.
    /// </summary>
    public string MintToken(string role, Guid tenantId, DateTime? expires = null, byte[]? key = null, string kid = "k1",
        string issuer = "pulsestream", string audience = "pulsestream-api", Guid? userId = null)
    {
        var signingKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(key ?? Convert.FromBase64String(SigningKey)) { KeyId = kid };
        var until = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = issuer, Audience = audience, IssuedAt = until.AddMinutes(-15), NotBefore = until.AddMinutes(-15), Expires = until,
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(signingKey, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object> { ["sub"] = (userId ?? Guid.NewGuid()).ToString(), ["tid"] = tenantId.ToString(), ["role"] = role },
        });
    }

    /// <summary>The user id (<c>sub</c>) an access token was issued to.</summary>
    public static Guid SubjectOf(string accessToken) => Guid.Parse(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken).Subject);

    /// <summary>Negotiates a live connection as the dashboard does: the client URL and token, or an exception unless 200.</summary>
    public async Task<(string Url, string AccessToken)> NegotiateAsync(string bearer)
    {
        using var response = await Http.SendAsync(Authorized(HttpMethod.Post, "api/negotiate", bearer));
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
            throw new InvalidOperationException($"negotiate answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("url").GetString()!, body.RootElement.GetProperty("accessToken").GetString()!);
    }

    public HttpRequestMessage Authorized(HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    /// <summary>Sends <paramref name="body"/> (JSON, if any) with the bearer token; answers the status and the JSON answer (default when empty).</summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> SendJsonAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var response = await Http.SendAsync(Authorized(method, path, token, body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>A GET as the bearer of <paramref name="token"/> that must answer 200: its JSON body (the status and body in the failure otherwise).</summary>
    public async Task<JsonElement> GetJsonAsync(string path, string token)
    {
        using var response = await Http.SendAsync(Authorized(HttpMethod.Get, path, token));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.OK) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public HttpRequestMessage Ingest(string path, object body, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", apiKey ?? Demo.ApiKey);
        return request;
    }

    /// <summary>Posts the events in batches of 1,000 with the tenant's key and waits until every one is stored.</summary>
    public async Task StoreEventsAsync(string apiKey, Guid tenantId, IReadOnlyCollection<object> events)
    {
        var before = await StoredEventCountAsync(tenantId);
        foreach (var batch in events.Chunk(1000))
            using (var post = await Http.SendAsync(Ingest("api/v1/events/batch", Payloads.Batch(batch), apiKey)))
                if (post.StatusCode != System.Net.HttpStatusCode.Accepted)
                    throw new InvalidOperationException($"ingest answered {(int)post.StatusCode}: {await post.Content.ReadAsStringAsync()}");
        if (!await EventuallyAsync(async () => await StoredEventCountAsync(tenantId) == before + events.Count, TimeSpan.FromSeconds(90)))
            throw new TimeoutException($"{events.Count} events were not all stored within 90 s.");
    }

    public async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args) command.Parameters.AddWithValue(arg);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The raw events stored for a tenant, whichever layout the host writes (rows or segments).</summary>
    public Task<long> StoredEventCountAsync(Guid tenantId) => ScalarAsync("""
        SELECT (SELECT count(*) FROM events WHERE tenant_id = $1) + (SELECT coalesce(sum(event_count), 0) FROM event_segments WHERE tenant_id = $1)
        """, tenantId);

    /// <summary>The raw events stored for every tenant, whichever layout the host writes.</summary>
    public Task<long> StoredEventCountAsync() =>
        ScalarAsync("SELECT (SELECT count(*) FROM events) + (SELECT coalesce(sum(event_count), 0) FROM event_segments)");

    /// <summary>
    /// A tenant's stored events decoded as the store holds them (segments through the store's own codec), oldest first,
    /// whichever layout the host writes.
    /// </summary>
    public async Task<List<PulseStream.Events.StoredEvent>> StoredEventsAsync(Guid tenantId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var events = new List<PulseStream.Events.StoredEvent>();
        await using (var rows = new NpgsqlCommand("""
            SELECT id, event_id, ts, method, path, route, status_code, latency_ms, request_bytes, response_bytes,
                   consumer_id, environment, attributes::text, received_at
            FROM events WHERE tenant_id = $1
            """, connection))
        {
            rows.Parameters.AddWithValue(tenantId);
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var attributes = reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12));
                events.Add(new(reader.GetInt64(0), new PulseStream.Events.ApiEvent(
                    reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetInt16(6), reader.GetDouble(7),
                    reader.IsDBNull(8) ? null : reader.GetInt64(8), reader.IsDBNull(9) ? null : reader.GetInt64(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetString(11), attributes), reader.GetFieldValue<DateTimeOffset>(13)));
            }
        }
        await using (var segments = new NpgsqlCommand("SELECT id, body FROM event_segments WHERE tenant_id = $1", connection))
        {
            segments.Parameters.AddWithValue(tenantId);
            await using var reader = await segments.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var decoded = PulseStream.Events.Segments.SegmentCodec.Decode(reader.GetFieldValue<byte[]>(1));
                for (var i = 0; i < decoded.Count; i++)
                    events.Add(new(PulseStream.Events.Segments.SegmentEventStore.EventId(reader.GetInt64(0), i), decoded[i].Event, decoded[i].ReceivedAt));
            }
        }
        return events.OrderBy(e => e.Event.Timestamp).ThenBy(e => e.Id).ToList();
    }

    /// <summary>Messages in the local event log that a consumer group has not checkpointed past yet.</summary>
    public Task<long> UnconsumedMessagesAsync(string consumerGroup = "alerts") => ScalarAsync("""
        SELECT coalesce(sum(p.next_sequence - 1 - coalesce(c.sequence_number, 0)), 0) FROM event_log_partitions p
        LEFT JOIN event_log_checkpoints c ON c.hub = p.hub AND c.partition_id = p.partition_id AND c.consumer_group = $1
        """, consumerGroup);

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(200);
        }
        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        Http.Dispose();
        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(TestEnvironment.Postgres);
            await connection.OpenAsync();
            var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            await using var dropRole = new NpgsqlCommand($"DROP ROLE IF EXISTS {AppRole}", connection);
            await dropRole.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: the test cluster is thrown away after the run anyway.
        }
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { }
    }
}
