using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A tenant with a known data set (hostile routes and consumer ids among it), its owner and a viewer.</summary>
public sealed class ExportDataSetFixture : IAsyncLifetime
{
    public HostFixture HostFixture { get; } = new();
    public LocalHostProcess Host => HostFixture.Host;
    public string Token { get; private set; } = "";
    public string ViewerToken { get; private set; } = "";

    /// <summary>Routes and consumers a spreadsheet would misread: commas, quotes, line breaks and formula starts.</summary>
    public static readonly string[] Routes = ["/v1/orders", "/v1/products", "/=cmd|x,\"y\"", "/v1/two\r\nlines", "/v1/a,b"];
    public static readonly string?[] Consumers = ["@evil", "=1+2", "-3", "+4", "\tindented", "'=quoted", "plain, with comma", "customer-1", null];

    public async Task InitializeAsync()
    {
        await HostFixture.InitializeAsync();
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Export Co", $"export-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var random = new Random(12);
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, 600).Select(i => new
        {
            eventId = $"x-{i}",
            // Within the last 50 minutes, so the 1h and 24h windows hold all of them.
            timestamp = (now - TimeSpan.FromSeconds(random.Next(5, 3000))).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            method = i % 3 == 0 ? "POST" : "GET",
            path = "/p",
            route = Routes[i % Routes.Length],
            statusCode = random.Next(100) < 10 ? 503 : 200,
            latencyMs = Math.Round(5 + random.NextDouble() * 400, 3),
            requestBytes = random.Next(0, 900),
            responseBytes = random.Next(0, 5000),
            consumerId = Consumers[i % Consumers.Length],
            environment = i % 4 == 0 ? "staging" : "production",
        }).ToList();
        foreach (var chunk in events.Chunk(300))
        {
            using var response = await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", new { events = chunk }, tenant.ApiKey));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(60)), Host.Output);
        Token = await Host.LoginAsync(tenant.OwnerEmail, "a long password 123");
        ViewerToken = (await People.InviteAndAcceptAsync(Host, Token, "viewer")).AccessToken;
    }

    public async Task DisposeAsync() => await HostFixture.DisposeAsync();
}

/// <summary>
/// <c>GET /api/v1/export</c>: every dataset, in CSV and NDJSON, parses back to exactly the JSON endpoint's rows in
/// the same order, for the same parameters; hostile text is quoted and kept from running as a formula; bad
/// parameters answer a JSON problem before any byte of a file.
/// </summary>
public class ExportTests(ExportDataSetFixture data) : IClassFixture<ExportDataSetFixture>
{
    private LocalHostProcess Host => data.Host;

    private static readonly string[] RouteColumns = ["route", "method", "requests", "errorRate", "p50", "p95", "p99", "requestBytes", "responseBytes", "lastSeen"];
    private static readonly string[] ConsumerColumns = ["consumerId", "requests", "errorRate", "p50", "p95", "p99", "requestBytes", "responseBytes", "lastSeen"];
    private static readonly string[] SeriesColumns = ["ts", "value"];
    private static readonly HashSet<string> TextColumns = ["route", "method", "consumerId"];
    private static readonly HashSet<string> TimeColumns = ["lastSeen", "ts"];

    private sealed record Download(HttpStatusCode Status, string? ContentType, string? Disposition, string Body, bool Chunked);

    private async Task<Download> GetAsync(string path, string? token = null)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, path, token ?? data.Token));
        var disposition = response.Content.Headers.TryGetValues("Content-Disposition", out var values) ? string.Join(",", values) : null;
        return new Download(response.StatusCode, response.Content.Headers.ContentType?.ToString(), disposition,
            await response.Content.ReadAsStringAsync(), response.Headers.TransferEncodingChunked == true);
    }

    /// <summary>
    /// The JSON endpoint's answer and the export's, taken within the same minute: windows end with the current
    /// minute, so a JSON answer before and after the export with the same <c>to</c> brackets the export's window.
    /// </summary>
    private async Task<(JsonElement Json, Download File)> BothAsync(string jsonPath, string exportPath)
    {
        for (var attempt = 0; ; attempt++)
        {
            var before = await GetAsync(jsonPath);
            var file = await GetAsync(exportPath);
            var after = await GetAsync(jsonPath);
            Assert.True(before.Status == HttpStatusCode.OK, before.Body);
            Assert.True(file.Status == HttpStatusCode.OK, $"{exportPath}: {(int)file.Status} {file.Body}");
            var json = JsonDocument.Parse(before.Body).RootElement.Clone();
            var to = json.GetProperty("to").GetDateTimeOffset();
            if (to == JsonDocument.Parse(after.Body).RootElement.GetProperty("to").GetDateTimeOffset() || attempt == 3) return (json, file);
        }
    }

    /// <summary>An RFC 4180 reader: records of fields, quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else if (c is '"' or '\r' or '\n') Assert.Fail($"an unquoted {(int)c} inside a field at {i}");
            else field.Append(c);
        }
        Assert.False(quoted, "the file ends inside a quoted field");
        Assert.True(field.Length == 0 && record.Count == 0, "the last record is not terminated by CRLF");
        return records;
    }

    /// <summary>What a CSV cell holds for a JSON value: guarded text, the same number, the same instant, empty for null.</summary>
    private static void SameValue(string column, JsonElement item, string cell, string what)
    {
        if (!item.TryGetProperty(column, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Assert.True(cell.Length == 0, $"{what}.{column}: '{cell}' for null");
            return;
        }
        if (TextColumns.Contains(column))
        {
            var text = value.GetString()!;
            Assert.Equal(text.Length > 0 && "=+-@\t\r'".Contains(text[0]) ? "'" + text : text, cell);
        }
        else if (TimeColumns.Contains(column))
        {
            Assert.EndsWith("Z", cell, StringComparison.Ordinal);
            Assert.Equal(value.GetDateTimeOffset(), DateTimeOffset.Parse(cell, CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.Equal(value.GetDouble(), double.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
    }

    private static void CsvMatches(IReadOnlyList<JsonElement> items, string[] columns, Download file)
    {
        var records = ParseCsv(file.Body);
        Assert.Equal(columns, records[0]);
        Assert.Equal(items.Count, records.Count - 1);
        for (var i = 0; i < items.Count; i++)
        {
            Assert.Equal(columns.Length, records[i + 1].Count);
            for (var c = 0; c < columns.Length; c++) SameValue(columns[c], items[i], records[i + 1][c], $"row {i}");
        }
    }

    private static void NdjsonMatches(IReadOnlyList<JsonElement> items, Download file)
    {
        if (file.Body.Length > 0) Assert.EndsWith("\n", file.Body, StringComparison.Ordinal);
        var lines = file.Body.Length == 0 ? [] : file.Body[..^1].Split('\n');
        Assert.Equal(items.Count, lines.Length);
        // Same names, same values, same order: each line is the JSON endpoint's item, byte for byte.
        for (var i = 0; i < items.Count; i++) Assert.Equal(items[i].GetRawText(), lines[i]);
    }

    public static TheoryData<string, string> BreakdownCases() => new()
    {
        { "routes", "window=1h" },
        { "routes", "window=24h&sort=route" },
        { "routes", "window=1h&sort=p95&order=asc&environment=staging" },
        { "consumers", "window=1h" },
        { "consumers", "window=1h&sort=consumerId&order=desc" },
        { "consumers", "window=24h&sort=p99&environment=production" },
    };

    [Theory]
    [MemberData(nameof(BreakdownCases))]
    public async Task A_breakdown_exports_exactly_the_rows_of_its_json_endpoint_in_csv_and_ndjson(string dataset, string query)
    {
        var columns = dataset == "routes" ? RouteColumns : ConsumerColumns;
        var window = query.Split('&')[0]["window=".Length..];
        foreach (var format in new[] { "csv", "ndjson" })
        {
            var (json, file) = await BothAsync($"api/v1/{dataset}?{query}&limit=1000", $"api/v1/export?dataset={dataset}&format={format}&{query}");
            Assert.Equal(JsonValueKind.Null, json.GetProperty("next").ValueKind);
            var items = json.GetProperty("items").EnumerateArray().ToList();
            Assert.NotEmpty(items);
            Assert.Equal(format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson", file.ContentType);
            Assert.Equal($"attachment; filename=\"pulsestream-{dataset}-{window}.{format}\"", file.Disposition);
            if (format == "csv") CsvMatches(items, columns, file);
            else NdjsonMatches(items, file);
        }
    }

    [Theory]
    [InlineData("metric=request_count&window=1h&step=1m")]
    [InlineData("metric=latency_p95&window=1h&step=1m")]
    [InlineData("metric=error_rate&window=24h&step=1h&route=/v1/orders&environment=production")]
    [InlineData("metric=request_count&window=1h&step=10s&consumerId=%40evil")]
    public async Task A_series_exports_exactly_the_points_of_the_timeseries_endpoint(string query)
    {
        foreach (var format in new[] { "csv", "ndjson" })
        {
            var (json, file) = await BothAsync($"api/v1/metrics/timeseries?{query}", $"api/v1/export?dataset=timeseries&format={format}&{query}");
            var points = json.GetProperty("points").EnumerateArray().ToList();
            Assert.Contains(points, p => p.GetProperty("value").ValueKind == JsonValueKind.Number && p.GetProperty("value").GetDouble() > 0);
            Assert.Equal($"attachment; filename=\"pulsestream-timeseries-{json.GetProperty("window").GetString()}.{format}\"", file.Disposition);
            if (format == "csv") CsvMatches(points, SeriesColumns, file);
            else NdjsonMatches(points, file);
        }
    }

    [Fact]
    public async Task Hostile_routes_and_consumers_are_quoted_and_never_start_a_formula()
    {
        var routes = ParseCsv((await GetAsync("api/v1/export?dataset=routes&window=1h&sort=route&format=csv")).Body);
        var routeCells = routes.Skip(1).Select(r => r[0]).ToHashSet();
        Assert.Contains("/=cmd|x,\"y\"", routeCells);
        Assert.Contains("/v1/two\r\nlines", routeCells);
        var consumerFile = await GetAsync("api/v1/export?dataset=consumers&window=1h&sort=consumerId&format=csv");
        // As written on the wire: quoted where RFC 4180 needs it, guarded where a spreadsheet would run it.
        Assert.Contains("\r\n'@evil,", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n'=1+2,", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n'-3,", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n'+4,", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n'\tindented,", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n\"plain, with comma\",", consumerFile.Body, StringComparison.Ordinal);
        Assert.Contains("\r\n''=quoted,", consumerFile.Body, StringComparison.Ordinal);
        var routeFile = (await GetAsync("api/v1/export?dataset=routes&window=1h&format=csv")).Body;
        Assert.Contains("\r\n\"/=cmd|x,\"\"y\"\"\",", routeFile, StringComparison.Ordinal);
        foreach (var record in ParseCsv(consumerFile.Body).Skip(1))
            Assert.False(record[0].Length > 0 && "=+-@\t\r".Contains(record[0][0]), $"'{record[0]}' starts a formula");
        // NDJSON is data, not a spreadsheet: the values are the JSON API's, unguarded.
        var ndjson = (await GetAsync("api/v1/export?dataset=consumers&window=1h&format=ndjson")).Body;
        var ids = ndjson.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("consumerId").GetString()).ToList();
        Assert.Contains("@evil", ids);
        Assert.Contains("=1+2", ids);
    }

    [Fact]
    public async Task A_long_series_is_streamed_in_chunks_with_every_point()
    {
        const string query = "metric=request_count&window=24h&step=10s";
        var (json, file) = await BothAsync($"api/v1/metrics/timeseries?{query}", $"api/v1/export?dataset=timeseries&format=csv&{query}");
        Assert.True(file.Chunked, "a streamed file has no Content-Length");
        var points = json.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(24 * 360, points.Count); // several flushes' worth of rows
        CsvMatches(points, SeriesColumns, file);
    }

    [Fact]
    public async Task A_viewer_exports_the_same_file_and_another_tenant_sees_none_of_it()
    {
        var (owner, viewer) = (await GetAsync("api/v1/export?dataset=routes&window=24h&format=ndjson"),
            await GetAsync("api/v1/export?dataset=routes&window=24h&format=ndjson", data.ViewerToken));
        Assert.Equal(HttpStatusCode.OK, viewer.Status);
        Assert.Equal(owner.Body, viewer.Body);

        var stranger = await People.SignupAsync(Host, "Other Co");
        var theirs = await GetAsync("api/v1/export?dataset=routes&window=24h&format=csv", stranger.AccessToken);
        Assert.Equal(HttpStatusCode.OK, theirs.Status);
        Assert.Equal(string.Join(',', RouteColumns) + "\r\n", theirs.Body);
        var none = await GetAsync("api/v1/export?dataset=consumers&window=24h&format=ndjson", stranger.AccessToken);
        Assert.Equal("", none.Body);
    }

    [Fact]
    public async Task Without_a_token_the_export_answers_401()
    {
        using var response = await Host.Http.GetAsync("api/v1/export?dataset=routes&format=csv");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Content.Headers.Contains("Content-Disposition"));
    }

    [Theory]
    [InlineData("format=csv", "invalid-dataset", "routes, consumers, timeseries")]
    [InlineData("dataset=events&format=csv", "invalid-dataset", "routes, consumers, timeseries")]
    [InlineData("dataset=routes&format=xlsx", "invalid-format", "csv, ndjson")]
    [InlineData("dataset=routes&format=csv&window=2h", "invalid-window", "window")]
    [InlineData("dataset=consumers&format=ndjson&window=", "invalid-window", "window")]
    [InlineData("dataset=routes&format=csv&sort=bogus", "invalid-sort", "sort")]
    [InlineData("dataset=routes&format=csv&order=up", "invalid-order", "order")]
    [InlineData("dataset=routes&format=csv&route=/v1/orders", "invalid-route", "route")]
    [InlineData("dataset=consumers&format=csv&limit=10", "invalid-limit", "limit")]
    [InlineData("dataset=routes&format=csv&cursor=abc", "invalid-cursor", "cursor")]
    [InlineData("dataset=timeseries&format=csv&metric=bogus", "invalid-metric", "metric")]
    [InlineData("dataset=timeseries&format=ndjson&step=2m", "invalid-step", "step")]
    [InlineData("dataset=timeseries&format=csv&window=30d&step=10s&route=", "invalid-route", "route")]
    public async Task Bad_parameters_answer_a_json_problem_naming_them_and_no_file(string query, string type, string named)
    {
        var answer = await GetAsync($"api/v1/export?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType, StringComparison.Ordinal);
        Assert.Null(answer.Disposition);
        var problem = JsonDocument.Parse(answer.Body).RootElement;
        Assert.EndsWith("/" + type, problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains(named, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
