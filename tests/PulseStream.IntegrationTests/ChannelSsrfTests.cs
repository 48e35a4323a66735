using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A host configured as in Azure: no private-network targets; only its own sinks allowed explicitly.</summary>
public sealed class StrictOutboundHostFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_ssrf", settings =>
    {
        settings["Notifications__AllowPrivateNetworkTargets"] = "false";
        settings["Auth__Signup__PerAddressPerHour"] = "1000";
        settings["Auth__Signup__PerMinute"] = "1000";
        settings["Auth__Signup__Burst"] = "1000";
    });
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The SSRF catalogue against the API: each refused target is a clear 400 at creation, and a target that slipped past
/// creation (a row from before the checks, or a name that resolves elsewhere by the time of sending) is a refused
/// connection at send time, with nothing reaching the receiver.
/// </summary>
public class ChannelSsrfTests(StrictOutboundHostFixture fixture) : IClassFixture<StrictOutboundHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    public static TheoryData<string, string> RefusedAtCreation => new()
    {
        { "https://127.0.0.1/hook", "127.0.0.0/8" },
        { "https://2130706433/hook", "127.0.0.0/8" },
        { "https://0x7f.1/hook", "127.0.0.0/8" },
        { "https://0177.0.0.1/hook", "127.0.0.0/8" },
        { "https://localhost/hook", "local name" },
        { "https://[::1]/hook", "::1/128" },
        { "https://[::ffff:127.0.0.1]/hook", "IPv4-mapped" },
        { "https://10.0.0.1/hook", "private-use" },
        { "https://192.168.0.10/hook", "private-use" },
        { "https://169.254.169.254/latest/meta-data/", "metadata" },
        { "https://100.64.0.1/hook", "CGNAT" },
        { "https://198.18.0.1/hook", "benchmarking" },
        { "https://[64:ff9b::7f00:1]/hook", "NAT64" },
        { "https://[2002:7f00:1::]/hook", "6to4" },
        { "https://[fd00::1]/hook", "unique local" },
        { "https://[fe80::1]/hook", "link-local" },
        { "https://224.0.0.251/hook", "multicast" },
        { "https://240.0.0.1/hook", "reserved" },
        { "http://example.com/hook", "https" },
        { $"http://127.0.0.1:1/hook", "https" },
    };

    [Theory]
    [MemberData(nameof(RefusedAtCreation))]
    public async Task A_refused_target_is_a_400_naming_the_reason_at_creation(string url, string reason)
    {
        var owner = await People.SignupAsync(Host, "Ssrf Co");
        foreach (var type in new[] { "webhook", "slack", "teams" })
        {
            using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken, new { type, name = "target", url }));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{type} {url}: {(int)response.StatusCode} {text}");
            var error = Assert.Single(JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray());
            Assert.Equal("url", error.GetProperty("field").GetString());
            Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM channels WHERE tenant_id = $1", owner.TenantId));
    }

    [Fact]
    public async Task The_hosts_own_sinks_are_allowed_because_the_operator_allows_them_explicitly()
    {
        var owner = await People.SignupAsync(Host, "Sink Co");
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken,
            new { type = "slack", name = "local sink", url = new Uri(Host.BaseUrl, "local/format-sink/slack").ToString() }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var test = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/channels/{id}/test", owner.AccessToken));
        Assert.True((await test.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("delivered").GetBoolean());
    }

    [Fact]
    public async Task A_target_that_resolves_to_a_refused_address_is_refused_at_connect_time_and_nothing_arrives()
    {
        await using var receiver = await RecordingReceiver.StartAsync();
        var owner = await People.SignupAsync(Host, "Rebind Co");
        var provisioner = Provisioning.For(Host);
        // Rows written without the creation check, as a rebinding name would look by the time of sending: each points at
        // the live receiver on loopback, by name, by address and in odd notations.
        foreach (var url in new[] { $"http://localhost:{receiver.Port}/hook", $"http://127.0.0.1:{receiver.Port}/hook", $"http://2130706433:{receiver.Port}/hook",
                     $"http://0x7f.0.0.1:{receiver.Port}/hook", $"http://[::ffff:127.0.0.1]:{receiver.Port}/hook" })
        {
            var channel = await provisioner.CreateWebhookChannelAsync(owner.TenantId, "slipped past", new Uri(url), default);
            using var test = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, $"api/v1/channels/{channel.ChannelId}/test", owner.AccessToken));
            Assert.Equal(HttpStatusCode.OK, test.StatusCode);
            var outcome = await test.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(outcome.GetProperty("delivered").GetBoolean(), $"{url}: {outcome}");
            Assert.True(outcome.GetProperty("permanent").GetBoolean(), $"{url}: {outcome}");
            var error = outcome.GetProperty("error").GetString()!;
            Assert.Contains("Refused to connect", error);
            // The answer says which rule refused the target, never the address a name resolved to.
            if (url.Contains("localhost", StringComparison.Ordinal))
            {
                Assert.Contains("resolves to a private or special-purpose address", error);
                Assert.DoesNotContain("127.0.0.1", error);
                Assert.DoesNotContain("::1", error);
            }
        }
        Assert.Empty(receiver.Received);
    }
}
