using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using PulseStream.Tenancy;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Compressed bodies, gzip bombs and per-tenant rate limits at the ingest edge.</summary>
public class IngestLimitsTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize)) gzip.Write(data);
        return output.ToArray();
    }

    private HttpRequestMessage GzipRequest(byte[] compressed, string? apiKey = null, string encoding = "gzip")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/events/batch") { Content = new ByteArrayContent(compressed) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add(encoding);
        request.Headers.Add("X-Api-Key", apiKey ?? Host.Demo.ApiKey);
        return request;
    }

    [Fact]
    public async Task A_gzip_batch_is_accepted()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(Payloads.Batch(Enumerable.Range(0, 100).Select(_ => Payloads.Event("/v1/zipped"))));
        using var response = await Host.Http.SendAsync(GzipRequest(Gzip(json)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(100, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task A_gzip_bomb_is_cut_off_at_the_decompressed_limit_and_bad_encodings_are_refused()
    {
        // 200 MB of spaces inside a JSON string compresses to about 200 KB: under the body limit, far over the decompressed one.
        var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"events\":[\""u8);
            var spaces = Encoding.ASCII.GetBytes(new string(' ', 1024 * 1024));
            for (var i = 0; i < 200; i++) gzip.Write(spaces);
            gzip.Write("\"]}"u8);
        }
        Assert.True(bomb.Length < 1024 * 1024);
        using var response = await Host.Http.SendAsync(GzipRequest(bomb.ToArray()));
        await IngestPipelineTests.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");

        using var notGzip = await Host.Http.SendAsync(GzipRequest("{\"events\":[]}"u8.ToArray()));
        await IngestPipelineTests.AssertProblem(notGzip, HttpStatusCode.BadRequest, "malformed-gzip");
        using var brotli = await Host.Http.SendAsync(GzipRequest([1, 2, 3], encoding: "br"));
        await IngestPipelineTests.AssertProblem(brotli, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task A_tenant_over_its_rate_gets_429_with_retry_after_while_another_tenant_is_not_slowed()
    {
        var provisioner = Provisioning.For(Host);
        var noisy = await provisioner.CreateTenantAsync("Noisy", $"n-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        var quiet = await provisioner.CreateTenantAsync("Quiet", $"q-{Guid.NewGuid():N}@example.com", "a long password 123", default);
        // An operator lowers one tenant's limits in Table storage; no deploy.
        await new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)
            .SaveAsync(noisy.TenantId, TenantLimits.Default with { EventsPerSecond = 10, Burst = 50 }, default);

        async Task<HttpResponseMessage> Send(string key, int count) =>
            await Host.Http.SendAsync(Host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, count).Select(_ => Payloads.Event())), key));

        using (var first = await Send(noisy.ApiKey, 50)) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var quietSends = Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Send(quiet.ApiKey, 200)));
        using var limited = await Send(noisy.ApiKey, 50);
        await IngestPipelineTests.AssertProblem(limited, HttpStatusCode.TooManyRequests, "rate-limited");
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 6); // 50 events at 10/s: about 5 s
        foreach (var response in await quietSends)
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            response.Dispose();
        }
        await Task.Delay(TimeSpan.FromSeconds(retryAfter));
        using var later = await Send(noisy.ApiKey, 50);
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
    }
}
