using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>OTLP/HTTP traces into events, from the real OpenTelemetry .NET SDK and from hand-written OTLP/JSON.</summary>
public class OtlpIngestTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const string Password = "a long password 123";

    private sealed record StoredEvent(string Method, string Path, string Route, int Status, double LatencyMs, string? Consumer, string Environment, string? EventId, DateTimeOffset Timestamp, string? Attributes);

    private async Task<List<StoredEvent>> EventsAsync(Guid tenantId) =>
        (await Host.StoredEventsAsync(tenantId)).Select(s => s.Event).Select(e => new StoredEvent(e.Method, e.Path, e.Route, e.StatusCode, e.LatencyMs,
            e.ConsumerId, e.Environment, e.EventId, e.Timestamp, e.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a) : null)).ToList();

    private async Task<List<StoredEvent>> WaitForEventsAsync(Guid tenantId, int count)
    {
        List<StoredEvent> events = [];
        await LocalHostProcess.EventuallyAsync(async () => (events = await EventsAsync(tenantId)).Count >= count, TimeSpan.FromSeconds(30));
        return events;
    }

    [Fact]
    public async Task An_app_instrumented_with_the_OpenTelemetry_SDK_shows_up_as_events_with_routes_statuses_and_latencies()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Otel Co", $"otel-{Guid.NewGuid():N}@example.com", Password, default);
        using var internalWork = new ActivitySource("OrdersApp.Internal");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("orders-api").AddAttributes([new("deployment.environment.name", "staging")]))
            .WithTracing(tracing => tracing
                .AddSource(internalWork.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = new Uri(Host.BaseUrl, "api/otlp/v1/traces");
                    otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                    otlp.Headers = $"X-Api-Key={tenant.ApiKey}";
                }));
        await using var app = builder.Build();
        app.MapGet("/orders/{id}", async (string id) =>
        {
            Activity.Current?.SetTag("enduser.id", "customer-42");
            using (internalWork.StartActivity("load-order")) await Task.Delay(60);
            return id == "0" ? Results.NotFound() : Results.Ok(new { id });
        });
        app.MapPost("/orders", () => Results.Created("/orders/7", new { id = 7 }));
        await app.StartAsync();

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        foreach (var id in new[] { "17", "18", "0" }) (await client.GetAsync($"/orders/{id}")).Dispose();
        (await client.PostAsync("/orders", new StringContent("{}", Encoding.UTF8, "application/json"))).Dispose();
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000), "the exporter did not flush");

        var events = await WaitForEventsAsync(tenant.TenantId, 4);
        Assert.Equal(4, events.Count);
        var gets = events.Where(e => e.Method == "GET").ToList();
        Assert.Equal(["/orders/0", "/orders/17", "/orders/18"], gets.Select(e => e.Path).Order());
        Assert.All(gets, e => Assert.Equal("/orders/{id}", e.Route));
        Assert.Equal([200, 200, 404], gets.Select(e => e.Status).Order());
        // The handler waits 60 ms; Task.Delay may end up to a timer tick early, so allow a few milliseconds.
        Assert.All(gets, e => Assert.InRange(e.LatencyMs, 55, 5_000));
        Assert.All(gets, e => Assert.Equal("customer-42", e.Consumer));
        var post = Assert.Single(events, e => e.Method == "POST");
        Assert.Equal(("/orders", "/orders", 201), (post.Path, post.Route, post.Status));
        Assert.InRange(post.LatencyMs, 0, 1_000);
        Assert.All(events, e => Assert.Equal("staging", e.Environment));
        Assert.All(events, e => Assert.InRange(e.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.All(events, e => Assert.Contains("orders-api", e.Attributes));
        Assert.All(events, e => Assert.Equal(48, e.EventId?.Length));
    }

    private static object Attribute(string key, object value) => new
    {
        key,
        value = value switch
        {
            string s => (object)new { stringValue = s },
            int i => new { intValue = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            _ => throw new ArgumentException("string or int"),
        },
    };

    private static object JsonSpan(string spanId, int kind, DateTimeOffset start, double ms, params object[] attributes) => new
    {
        traceId = "5b8efff798038103d269b633813fc60c",
        spanId,
        name = "span " + spanId,
        kind,
        startTimeUnixNano = (start.ToUnixTimeMilliseconds() * 1_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture),
        endTimeUnixNano = start.ToUnixTimeMilliseconds() * 1_000_000L + (long)(ms * 1_000_000),
        attributes,
    };

    private HttpRequestMessage Otlp(string apiKey, string body, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/otlp/v1/traces") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        request.Headers.Add("X-Api-Key", apiKey);
        return request;
    }

    [Fact]
    public async Task OTLP_JSON_server_spans_become_events_others_are_counted_and_a_retried_export_is_stored_once()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Otlp Json Co", $"oj-{Guid.NewGuid():N}@example.com", Password, default);
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        var export = JsonSerializer.Serialize(new
        {
            resourceSpans = new[]
            {
                new
                {
                    resource = new { attributes = new[] { Attribute("service.name", "billing"), Attribute("deployment.environment", "prod-eu") } },
                    scopeSpans = new[]
                    {
                        new
                        {
                            spans = new[]
                            {
                                // Current semantic conventions.
                                JsonSpan("eee19b7ec3c1b174", 2, start, 12.5, Attribute("http.request.method", "put"), Attribute("url.path", "/v2/invoices/991"),
                                    Attribute("http.route", "/v2/invoices/{invoiceId}"), Attribute("http.response.status_code", 204), Attribute("enduser.id", "acme")),
                                // Older conventions: http.method, http.target with a query, status as text, no route.
                                JsonSpan("eee19b7ec3c1b175", 2, start, 3, Attribute("http.method", "GET"), Attribute("http.target", "/v2/invoices/992?expand=lines"),
                                    Attribute("http.status_code", "500")),
                                // A client span and an internal span: not requests this API served.
                                JsonSpan("eee19b7ec3c1b176", 3, start, 1, Attribute("http.request.method", "GET"), Attribute("url.path", "/upstream"), Attribute("http.response.status_code", 200)),
                                JsonSpan("eee19b7ec3c1b177", 1, start, 1),
                                // A server span that breaks a rule: rejected with a reason.
                                JsonSpan("eee19b7ec3c1b178", 2, start, 1, Attribute("http.request.method", "GET"), Attribute("url.path", "/x")),
                            },
                        },
                    },
                },
            },
        });

        // The exporter's retry comes after the first export is stored, and is counted only once the Alerts consumer
        // has got past it, so a slow consumer cannot make the dedup look right.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await Host.Http.SendAsync(Otlp(tenant.ApiKey, export));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var partial = body.RootElement.GetProperty("partialSuccess");
            Assert.Equal("1", partial.GetProperty("rejectedSpans").GetString());
            var message = partial.GetProperty("errorMessage").GetString()!;
            Assert.Contains("2 spans were not HTTP server spans", message);
            Assert.Contains("span eee19b7ec3c1b178: no http.response.status_code", message);
            if (attempt == 0) Assert.Equal(2, (await WaitForEventsAsync(tenant.TenantId, 2)).Count);
        }
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await Host.UnconsumedMessagesAsync() == 0, TimeSpan.FromSeconds(30)),
            "the consumer did not get past the retried export");
        var events = await EventsAsync(tenant.TenantId);
        Assert.Equal(2, events.Count);
        var put = Assert.Single(events, e => e.Method == "PUT");
        Assert.Equal(("/v2/invoices/991", "/v2/invoices/{invoiceId}", 204, 12.5, "acme", "prod-eu"), (put.Path, put.Route, put.Status, put.LatencyMs, put.Consumer, put.Environment));
        Assert.Equal("5b8efff798038103d269b633813fc60ceee19b7ec3c1b174", put.EventId);
        var get = Assert.Single(events, e => e.Method == "GET");
        Assert.Equal(("/v2/invoices/992", "/v2/invoices/{id}", 500, 3.0, (string?)null), (get.Path, get.Route, get.Status, get.LatencyMs, get.Consumer));
        Assert.InRange(put.Timestamp, start.AddMilliseconds(-1), start.AddMilliseconds(1));
    }

    [Fact]
    public async Task The_consumer_attribute_is_configurable_per_exporter()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Otlp Consumer Co", $"oc-{Guid.NewGuid():N}@example.com", Password, default);
        var export = JsonSerializer.Serialize(new
        {
            resourceSpans = new[] { new { scopeSpans = new[] { new { spans = new[] {
                JsonSpan("aaa19b7ec3c1b174", 2, DateTimeOffset.UtcNow, 2, Attribute("http.request.method", "GET"), Attribute("url.path", "/v1/me"),
                    Attribute("http.response.status_code", 200), Attribute("enduser.id", "not-this"), Attribute("app.customer", "customer-7")),
            } } } } },
        });
        using var request = Otlp(tenant.ApiKey, export);
        request.Headers.Add("X-Consumer-Attribute", "app.customer");
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(body.RootElement.TryGetProperty("partialSuccess", out _), "nothing was rejected or ignored");
        var stored = Assert.Single(await WaitForEventsAsync(tenant.TenantId, 1));
        Assert.Equal("customer-7", stored.Consumer);
        Assert.Equal("production", stored.Environment);
    }

    [Fact]
    public async Task Bad_OTLP_requests_fail_with_a_precise_problem()
    {
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Otlp Bad Co", $"ob-{Guid.NewGuid():N}@example.com", Password, default);
        async Task Expect(HttpRequestMessage request, HttpStatusCode status, string type)
        {
            using (request)
            using (var response = await Host.Http.SendAsync(request))
            {
                Assert.Equal(status, response.StatusCode);
                Assert.EndsWith(type, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
            }
        }
        await Expect(Otlp(tenant.ApiKey, "\n\u007ftruncated", "application/x-protobuf"), HttpStatusCode.BadRequest, "malformed-otlp");
        await Expect(Otlp(tenant.ApiKey, """{"resourceSpans": {"not": "an array"}}"""), HttpStatusCode.BadRequest, "malformed-otlp");
        await Expect(Otlp(tenant.ApiKey, """{"resourceSpans": [""" ), HttpStatusCode.BadRequest, "malformed-json");
        await Expect(Otlp(tenant.ApiKey, "{}", "text/plain"), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await Expect(Otlp("psk_live_not_a_key", "{}"), HttpStatusCode.Unauthorized, "malformed-api-key");
        await Expect(Otlp(tenant.ApiKey, new string(' ', 2 * 1024 * 1024)), HttpStatusCode.RequestEntityTooLarge, "payload-too-large");

        // An empty export is valid OTLP: nothing to store, nothing rejected.
        using var empty = await Host.Http.SendAsync(Otlp(tenant.ApiKey, "{}"));
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
    }
}
