using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Numerics;
using System.Text;
using System.Text.Json;
using CsCheck;
using Google.Protobuf;
using Npgsql;
using Xunit.Abstractions;
using PulseStream.Otlp.Protocol;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The seam between the edge and the store, tried through the real local host: whatever the edge answers as accepted
/// is stored exactly once and counted exactly once, as sent, and nothing is dead-lettered; whatever it refuses gets
/// an error naming the field. Events come from <see cref="ContractEvents"/>, as raw JSON text, so every escape is
/// the test's choice.
/// </summary>
public class EdgeStoreContractTests(HostFixture fixture, ITestOutputHelper output) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "a long password 123";

    /// <summary>Bodies stay under the 1 MiB limit: a generated event escaped throughout can be tens of kilobytes.</summary>
    private const int MaxBodyChars = 300_000;

    private sealed record Row(string Path, string Route, string? ConsumerId, string Environment, string? Attributes, long? RequestBytes, long? ResponseBytes, DateTimeOffset Timestamp);

    [Fact]
    public async Task Every_event_the_edge_accepts_is_stored_and_counted_exactly_once_as_sent_and_every_refused_one_names_its_field()
    {
        long acceptedTotal = 0, refusedTotal = 0;
        await ContractEvents.Events.Array[60, 180].SampleAsync(async events =>
        {
            // A tenant per sample: its rows and rollups are this sample's alone, so a failure is the sample's own.
            var tenant = await Provisioning.For(Host).CreateTenantAsync("Contract Co", $"contract-{Guid.NewGuid():N}@example.com", Password, default);
            // Violations of the seam (accepted but not stored and counted once as sent, refused without a field) are
            // listed before mismatches with the generator's expectation of which rule an event breaks.
            var violations = new List<string>();
            var mismatches = new List<string>();
            var accepted = new List<ContractEvents.Generated>();
            Assert.Equal(events.Length, events.Select(e => e.EventId).Distinct(StringComparer.Ordinal).Count()); // a repeated id would be a retry
            foreach (var chunk in Chunks(events))
                accepted.AddRange(await PostAsync(tenant.ApiKey, chunk, violations, mismatches));
            Interlocked.Add(ref acceptedTotal, accepted.Count);
            Interlocked.Add(ref refusedTotal, events.Length - accepted.Count);
            violations.InsertRange(0, await CheckStoredAsync(tenant.TenantId, accepted));
            if (violations.Count + mismatches.Count > 0)
                throw new InvalidOperationException(
                    $"{violations.Count} contract violations and {mismatches.Count} rule mismatches among {events.Length} events:\n"
                    + string.Join("\n", violations.Take(15).Concat(mismatches.Take(15))));
        }, iter: 10, threads: 1, print: events => $"{events.Length} events");
        output.WriteLine($"{acceptedTotal} events accepted, stored and counted once; {refusedTotal} refused with their field named");
        Assert.True(acceptedTotal > 300, $"only {acceptedTotal} events were accepted: the generator hardly tried the store");
        Assert.True(refusedTotal > 50, $"only {refusedTotal} events were refused: the generator hardly tried the edge");
    }

    private static IEnumerable<ContractEvents.Generated[]> Chunks(ContractEvents.Generated[] events)
    {
        var chunk = new List<ContractEvents.Generated>();
        var size = 0;
        foreach (var e in events)
        {
            if (chunk.Count > 0 && size + e.Json.Length > MaxBodyChars) { yield return chunk.ToArray(); chunk.Clear(); size = 0; }
            chunk.Add(e);
            size += e.Json.Length + 1;
        }
        if (chunk.Count > 0) yield return chunk.ToArray();
    }

    /// <summary>
    /// Posts one batch; returns the events the edge accepted, adds to <paramref name="problems"/> what broke the contract and
    /// to <paramref name="mismatches"/> where the edge's verdict differs from the rule the generator broke (or did not).
    /// </summary>
    private async Task<List<ContractEvents.Generated>> PostAsync(string apiKey, ContractEvents.Generated[] events, List<string> problems, List<string> mismatches)
    {
        var body = "{\"events\":[" + string.Join(",", events.Select(e => e.Json)) + "]}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Api-Key", apiKey);
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.BadRequest))
        {
            problems.Add($"the batch of {events.Length} was answered {(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}");
            return [];
        }
        using var answer = JsonDocument.Parse(text);
        var errors = answer.RootElement.TryGetProperty("errors", out var list) ? list.EnumerateArray().ToList() : [];
        if (response.StatusCode == HttpStatusCode.BadRequest && errors.Count == 0)
        {
            problems.Add($"the batch was refused without field errors: {text[..Math.Min(300, text.Length)]}");
            return [];
        }
        var fields = errors.Where(e => e.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number)
            .ToLookup(e => e.GetProperty("index").GetInt32(), e => e.GetProperty("field").GetString() ?? "");
        if (errors.Any(e => !e.TryGetProperty("index", out var i) || i.ValueKind != JsonValueKind.Number))
            problems.Add($"an error without an index: {text[..Math.Min(300, text.Length)]}");

        var accepted = new List<ContractEvents.Generated>();
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            var named = fields[i].ToList();
            if (named.Count == 0) accepted.Add(e);
            if (named.Any(f => f.Length == 0)) problems.Add($"an error without a field for {e}");
            // The oracle: the generator knows which rule it broke, if any.
            if (e.RefusedField is null && named.Count > 0) mismatches.Add($"refused ({string.Join(", ", named)}) though valid: {e}");
            if (e.RefusedField is not null && named.Count == 0) mismatches.Add($"accepted though '{e.RefusedField}' breaks a rule: {e}");
            if (e.RefusedField is not null && named.Count > 0 && !named.Contains(e.RefusedField))
                mismatches.Add($"refused naming ({string.Join(", ", named)}) instead of '{e.RefusedField}': {e}");
        }
        if (response.StatusCode == HttpStatusCode.Accepted && answer.RootElement.GetProperty("accepted").GetInt32() != accepted.Count)
            problems.Add($"the answer counts {answer.RootElement.GetProperty("accepted").GetInt32()} accepted, the errors leave {accepted.Count}");
        if (response.StatusCode == HttpStatusCode.BadRequest && accepted.Count > 0)
            problems.Add($"400 for a batch in which {accepted.Count} events have no error");
        return response.StatusCode == HttpStatusCode.Accepted ? accepted : [];
    }

    private async Task<List<string>> CheckStoredAsync(Guid tenantId, List<ContractEvents.Generated> accepted)
    {
        var problems = new List<string>();
        if (!await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(45)))
            problems.Add("the Alerts consumer did not catch up within 45 s");

        var rows = await RowsAsync(tenantId, accepted.Select(e => e.EventId).ToArray());
        foreach (var e in accepted)
        {
            if (!rows.TryGetValue(e.EventId, out var stored) || stored.Count != 1)
            {
                problems.Add($"accepted, stored {(stored?.Count ?? 0)} times: {e}");
                continue;
            }
            var row = stored[0];
            if (row.Path != e.Path) problems.Add($"path stored as {Show(row.Path)}, sent {Show(e.Path)}");
            if (e.Route is not null && row.Route != e.Route && row.Route != "/{other}") problems.Add($"route stored as {Show(row.Route)}, sent {Show(e.Route)}");
            if (ContractEvents.Utf8Bytes(row.Route) > ContractEvents.MaxRouteBytes) problems.Add($"a route of {ContractEvents.Utf8Bytes(row.Route)} bytes was stored");
            if (row.ConsumerId != (string.IsNullOrEmpty(e.ConsumerId) ? null : e.ConsumerId)) problems.Add($"consumerId stored as {Show(row.ConsumerId)}, sent {Show(e.ConsumerId)}");
            var environment = string.IsNullOrEmpty(e.Environment) ? "production" : e.Environment;
            if (row.Environment != environment) problems.Add($"environment stored as {Show(row.Environment)}, sent {Show(environment)}");
            if (row.RequestBytes != e.RequestBytes || row.ResponseBytes != e.ResponseBytes)
                problems.Add($"byte counts stored as {row.RequestBytes}/{row.ResponseBytes}, sent {e.RequestBytes}/{e.ResponseBytes}");
            var attributes = row.Attributes is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(row.Attributes);
            if (!SameAttributes(attributes, e.Attributes)) problems.Add($"attributes stored as {row.Attributes ?? "null"}: {e}");
            // The store keeps microseconds; the edge keeps 100 ns, and the envelope truncates to the microsecond.
            var expected = new DateTimeOffset(e.Timestamp.UtcTicks - e.Timestamp.UtcTicks % 10, TimeSpan.Zero);
            if (row.Timestamp != expected) problems.Add($"timestamp stored as {row.Timestamp:O}, expected {expected:O}: {e}");
        }

        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        if (await Host.StoredEventCountAsync(tenantId) is var storedCount && storedCount != accepted.Count)
            problems.Insert(0, $"{storedCount} events stored for the tenant; {accepted.Count} were accepted");
        var (count, requestBytes, responseBytes) = await RollupTotalsAsync(connection, tenantId);
        if (count != accepted.Count)
        {
            problems.Insert(0, $"the rollups count {count} requests; {accepted.Count} were accepted");
            problems.InsertRange(1, await RollupMismatchesAsync(connection, tenantId));
        }
        var (sentRequestBytes, sentResponseBytes) = (accepted.Aggregate(BigInteger.Zero, (sum, e) => sum + (e.RequestBytes ?? 0)),
            accepted.Aggregate(BigInteger.Zero, (sum, e) => sum + (e.ResponseBytes ?? 0)));
        if (requestBytes != sentRequestBytes || responseBytes != sentResponseBytes)
            problems.Insert(0, $"the rollups sum {requestBytes}/{responseBytes} bytes; the accepted events carry {sentRequestBytes}/{sentResponseBytes}");
        await using (var deadLetters = new NpgsqlCommand("SELECT count(*), coalesce(left(min(last_error), 400), '') FROM dead_letters", connection))
        {
            await using var reader = await deadLetters.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (reader.GetInt64(0) > 0) problems.Insert(0, $"{reader.GetInt64(0)} dead letters, the first: {reader.GetString(1)}");
        }
        return problems;
    }

    private static async Task<(BigInteger Count, BigInteger RequestBytes, BigInteger ResponseBytes)> RollupTotalsAsync(NpgsqlConnection connection, Guid tenantId)
    {
        await using var rollups = new NpgsqlCommand(
            "SELECT coalesce(sum(requests), 0)::text, coalesce(sum(request_bytes), 0)::text, coalesce(sum(response_bytes), 0)::text FROM rollup_totals_minute WHERE tenant_id = $1",
            connection);
        rollups.Parameters.AddWithValue(tenantId);
        await using var reader = await rollups.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (BigInteger.Parse(reader.GetString(0), CultureInfo.InvariantCulture), BigInteger.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
            BigInteger.Parse(reader.GetString(2), CultureInfo.InvariantCulture));
    }

    /// <summary>The rollup cells whose count differs from the stored events that fall in them: where the count went wrong.</summary>
    private async Task<List<string>> RollupMismatchesAsync(NpgsqlConnection connection, Guid tenantId)
    {
        var stored = (await Host.StoredEventsAsync(tenantId))
            .GroupBy(e => (Bucket: e.Event.Timestamp.UtcTicks - e.Event.Timestamp.UtcTicks % TimeSpan.TicksPerMinute, e.Event.Route, e.Event.Method, e.Event.Environment))
            .ToDictionary(g => g.Key, g => (Count: (long)g.Count(), Example: g.Select(e => e.Event.EventId ?? "").Min(StringComparer.Ordinal) ?? ""));
        var counted = new Dictionary<(long Bucket, string Route, string Method, string Environment), long>();
        await using (var command = new NpgsqlCommand("SELECT bucket, route, method, environment, requests FROM rollup_routes_minute WHERE tenant_id = $1", connection))
        {
            command.Parameters.AddWithValue(tenantId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                counted[(reader.GetFieldValue<DateTimeOffset>(0).UtcTicks, reader.GetString(1), reader.GetString(2), reader.GetString(3))] = reader.GetInt64(4);
        }
        return stored.Keys.Union(counted.Keys)
            .Where(k => stored.GetValueOrDefault(k).Count != counted.GetValueOrDefault(k))
            .Take(10)
            .Select(k => $"cell {new DateTimeOffset(k.Bucket, TimeSpan.Zero):O} {Show(k.Route[..Math.Min(80, k.Route.Length)])} {k.Method}: {stored.GetValueOrDefault(k).Count} events stored " +
                $"(e.g. {Show(stored.GetValueOrDefault(k).Example ?? "")}), rollup counts {counted.GetValueOrDefault(k)}")
            .ToList();
    }

    private async Task<Dictionary<string, List<Row>>> RowsAsync(Guid tenantId, string[] eventIds)
    {
        var wanted = eventIds.ToHashSet(StringComparer.Ordinal);
        var rows = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        foreach (var stored in await Host.StoredEventsAsync(tenantId))
        {
            var e = stored.Event;
            if (e.EventId is not { } id || !wanted.Contains(id)) continue;
            var row = new Row(e.Path, e.Route, e.ConsumerId, e.Environment, e.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null,
                e.RequestBytes, e.ResponseBytes, e.Timestamp);
            if (!rows.TryGetValue(id, out var list)) rows[id] = list = [];
            list.Add(row);
        }
        return rows;
    }

    private static bool SameAttributes(Dictionary<string, string>? stored, IReadOnlyDictionary<string, string>? sent) =>
        (stored is null || stored.Count == 0) && (sent is null || sent.Count == 0)
        || stored is not null && sent is not null && stored.Count == sent.Count && sent.All(kv => stored.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>Text with its control and non-ASCII characters visible, shortened.</summary>
    private static string Show(string? text)
    {
        if (text is null) return "null";
        var shown = JsonSerializer.Serialize(text);
        return shown.Length <= 160 ? shown : shown[..160] + "…";
    }

    private async Task<(HttpStatusCode Status, JsonDocument? Body)> PostAsync(string path, string contentType, string body, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Add("X-Api-Key", apiKey ?? Host.Demo.ApiKey);
        using var response = await Host.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text) : null);
    }

    private static string OneEvent(string extra = "") =>
        $$"""{"timestamp":"{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}}","method":"GET","path":"/v1/ct","statusCode":200,"latencyMs":1{{extra}}}""";

    [Theory]
    [InlineData("application/json", HttpStatusCode.Accepted)]
    [InlineData("application/json; charset=utf-8", HttpStatusCode.Accepted)]
    [InlineData("Application/JSON;charset=\"UTF-8\";v=1", HttpStatusCode.Accepted)]
    [InlineData("application/jsonfoo", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json-seq", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("text/json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=iso-8859-1", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json; charset=utf-8; charset=utf-16", HttpStatusCode.UnsupportedMediaType)]
    public async Task Only_application_json_in_UTF8_is_read_as_JSON_on_every_route(string contentType, HttpStatusCode expected)
    {
        var (status, _) = await PostAsync("api/v1/events", contentType, OneEvent());
        Assert.Equal(expected, status);
        var (batch, _) = await PostAsync("api/v1/events/batch", contentType, $$"""{"events":[{{OneEvent()}}]}""");
        Assert.Equal(expected, batch);
        if (expected != HttpStatusCode.UnsupportedMediaType) return;
        // Every JSON route reads its body the same way: a login, and OTLP/JSON.
        var (login, problem) = await PostAsync("api/v1/auth/login", contentType, """{"email":"a@example.com","password":"x"}""");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, login);
        Assert.EndsWith("/unsupported-media-type", problem!.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        var (otlp, _) = await PostAsync("api/otlp/v1/traces", contentType, """{"resourceSpans":[]}""");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, otlp);
    }

    [Fact]
    public async Task A_duplicate_key_is_refused_in_a_single_event_in_a_batch_item_and_at_the_top_of_a_batch()
    {
        var (single, problem) = await PostAsync("api/v1/events", "application/json", OneEvent(""","timestamp":"2020-01-01T00:00:00Z" """));
        Assert.Equal(HttpStatusCode.BadRequest, single);
        Assert.EndsWith("/invalid-event", problem!.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        var error = problem.RootElement.GetProperty("errors")[0];
        Assert.Equal(("timestamp", "Duplicate key."), (error.GetProperty("field").GetString(), error.GetProperty("message").GetString()));

        var (item, answer) = await PostAsync("api/v1/events/batch", "application/json",
            $$"""{"events":[{{OneEvent()}},{{OneEvent(""","x":1,"x":2""")}}]}""");
        Assert.Equal(HttpStatusCode.Accepted, item);
        Assert.Equal(1, answer!.RootElement.GetProperty("accepted").GetInt32());
        var itemError = answer.RootElement.GetProperty("errors")[0];
        Assert.Equal((1, "x"), (itemError.GetProperty("index").GetInt32(), itemError.GetProperty("field").GetString()));

        var (batch, refusal) = await PostAsync("api/v1/events/batch", "application/json", $$"""{"events":[{{OneEvent()}}],"events":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, batch);
        Assert.EndsWith("/invalid-batch", refusal!.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal("events", refusal.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_rollup_whose_byte_sum_reaches_the_bigint_bound_saturates_instead_of_failing_the_batch()
    {
        // 2^23 maximal events would take a tenant's whole rate for 14 minutes; the cell is made nearly full instead.
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Contract Sums Co", $"contract-sums-{Guid.NewGuid():N}@example.com", Password, default);
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        var bucket = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);
        await using (var connection = new NpgsqlConnection(Host.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO rollup_routes_minute (tenant_id, bucket, environment, route, method, requests, status_1xx, status_2xx, status_3xx,
                    status_4xx, status_5xx, latency_sum, latency_max, request_bytes, response_bytes, last_seen, sketch)
                VALUES ($1, $2, 'production', '/v1/full', 'GET', 8388607, 0, 8388607, 0, 0, 0, 8388607, 1, 9223372036854775000, 0, $2, '\x010000')
                """, connection);
            insert.Parameters.AddWithValue(tenant.TenantId);
            insert.Parameters.AddWithValue(bucket);
            await insert.ExecuteNonQueryAsync();
        }
        var events = Enumerable.Range(0, 3).Select(i =>
            $$"""{"timestamp":"{{bucket.AddSeconds(10 + i):yyyy-MM-ddTHH:mm:ss.fffffffZ}}","method":"GET","path":"/v1/full","route":"/v1/full","statusCode":200,"latencyMs":1,"requestBytes":{{ContractEvents.MaxByteCount}}}""");
        var (status, _) = await PostAsync("api/v1/events/batch", "application/json", $$"""{"events":[{{string.Join(",", events)}}]}""", tenant.ApiKey);
        Assert.Equal(HttpStatusCode.Accepted, status);

        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(45)));
        Assert.Equal(3, await Host.StoredEventCountAsync(tenant.TenantId));
        Assert.Equal(8388610, await Host.ScalarAsync("SELECT requests FROM rollup_routes_minute WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(long.MaxValue, await Host.ScalarAsync("SELECT request_bytes FROM rollup_routes_minute WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM dead_letters"));
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
    private static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    [Fact]
    public async Task OTLP_spans_are_held_to_the_same_contract_and_a_long_derived_route_is_cut_to_fit_the_store()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Contract Spans Co", $"contract-spans-{Guid.NewGuid():N}@example.com", Password, default);
        var start = (ulong)(DateTimeOffset.UtcNow.AddSeconds(-30) - DateTimeOffset.UnixEpoch).Ticks * 100;
        var next = 0;
        Span ServerSpan(params KeyValue[] attributes)
        {
            var span = new Span
            {
                Kind = Span.Types.SpanKind.Server, StartTimeUnixNano = start, EndTimeUnixNano = start + 5_000_000,
                TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()), SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)++next)),
            };
            span.Attributes.Add(Attribute("http.request.method", "GET"));
            span.Attributes.Add(Attribute("http.response.status_code", 200));
            span.Attributes.AddRange(attributes);
            return span;
        }
        // 700 three-byte characters in one segment: 2,100 bytes, over the route's 1,024.
        var wide = new string('漢', 700);
        var longPath = "/v1/" + string.Join("/", Enumerable.Range(0, 20).Select(i => $"{i}段{new string('長', 40)}"));
        var spans = new[]
        {
            ServerSpan(Attribute("url.path", "/v1/ok")),
            ServerSpan(Attribute("url.path", longPath)),
            ServerSpan(Attribute("url.path", "/v1/nul\0here")),
            ServerSpan(Attribute("url.path", "/v1/wide"), Attribute("http.route", "/v1/" + wide)),
            ServerSpan(Attribute("url.path", "/v1/big"), Attribute("http.request.body.size", ContractEvents.MaxByteCount + 1)),
            ServerSpan(Attribute("url.path", "/v1/big"), Attribute("http.response.body.size", long.MaxValue)),
            ServerSpan(Attribute("url.path", "/v1/max"), Attribute("http.response.body.size", ContractEvents.MaxByteCount)),
            ServerSpan(Attribute("url.path", "/v1/consumer"), Attribute("enduser.id", "acme\0")),
        };
        var export = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans { Resource = new Resource { Attributes = { Attribute("service.name", "api") } }, ScopeSpans = { new ScopeSpans { Spans = { spans } } } },
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { Attribute("deployment.environment.name", "prod\0") } },
                    ScopeSpans = { new ScopeSpans { Spans = { ServerSpan(Attribute("url.path", "/v1/env")) } } },
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/otlp/v1/traces") { Content = new ByteArrayContent(export.ToByteArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        request.Headers.Add("X-Api-Key", tenant.ApiKey);
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(6, answer.PartialSuccess?.RejectedSpans);
        Assert.Contains("U+0000", answer.PartialSuccess!.ErrorMessage, StringComparison.Ordinal);

        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(45)));
        var rows = (await RowsAsync(tenant.TenantId, spans.Select(s => Convert.ToHexStringLower(s.TraceId.Span) + Convert.ToHexStringLower(s.SpanId.Span)).ToArray()))
            .Values.SelectMany(r => r).ToList();
        Assert.Equal(new[] { "/v1/max", "/v1/ok", longPath }.Order(StringComparer.Ordinal), rows.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.Equal(ContractEvents.MaxByteCount, rows.Single(r => r.Path == "/v1/max").ResponseBytes);
        // Cut at a segment boundary, so it names a real prefix of the endpoint, and marked as cut.
        var cut = rows.Single(r => r.Path == longPath).Route;
        Assert.InRange(ContractEvents.Utf8Bytes(cut), 1, ContractEvents.MaxRouteBytes);
        Assert.EndsWith("/{rest}", cut, StringComparison.Ordinal);
        Assert.StartsWith(cut[..^"/{rest}".Length] + "/", longPath, StringComparison.Ordinal);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM dead_letters"));
        Assert.Equal(3, await Host.ScalarAsync("SELECT coalesce(sum(requests), 0) FROM rollup_totals_minute WHERE tenant_id = $1", tenant.TenantId));
    }
}
