using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PulseStream.Notifications;
using PulseStream.Notifications.Channels;

namespace PulseStream.UnitTests;

/// <summary>The SSRF catalogue at creation, webhook signatures of both schemes with rotation, ACS request signing, masking.</summary>
public class ChannelSecurityTests
{
    private static readonly NotificationOptions Strict = new() { AllowedHosts = ["sink.test:7071"] };

    [Theory]
    // Loopback, in every notation a resolver accepts.
    [InlineData("https://127.0.0.1/hook", "127.0.0.0/8")]
    [InlineData("https://127.1/hook", "127.0.0.0/8")]
    [InlineData("https://2130706433/hook", "127.0.0.0/8")]
    [InlineData("https://0x7f000001/hook", "127.0.0.0/8")]
    [InlineData("https://0x7f.0.0.1/hook", "127.0.0.0/8")]
    [InlineData("https://0177.0.0.1/hook", "127.0.0.0/8")]
    [InlineData("https://017700000001/hook", "127.0.0.0/8")]
    [InlineData("https://[::1]/hook", "::1/128")]
    [InlineData("https://localhost/hook", "local name")]
    [InlineData("https://app.localhost/hook", "local name")]
    // Private, link-local and the metadata address, CGNAT, "this network".
    [InlineData("https://10.0.0.1/hook", "10.0.0.0/8")]
    [InlineData("https://172.16.5.4/hook", "172.16.0.0/12")]
    [InlineData("https://192.168.1.1/hook", "192.168.0.0/16")]
    [InlineData("https://169.254.169.254/latest/meta-data/", "169.254.0.0/16")]
    [InlineData("https://0xa9fea9fe/", "169.254.0.0/16")]
    [InlineData("https://metadata.google.internal/computeMetadata/v1/", "local name")]
    [InlineData("https://100.64.0.1/hook", "100.64.0.0/10")]
    [InlineData("https://0.0.0.0/hook", "0.0.0.0/8")]
    [InlineData("https://0/hook", "0.0.0.0/8")]
    // Documentation, benchmarking, 6to4 relay, IETF, multicast, reserved, broadcast.
    [InlineData("https://192.0.2.10/hook", "192.0.2.0/24")]
    [InlineData("https://198.51.100.7/hook", "198.51.100.0/24")]
    [InlineData("https://203.0.113.9/hook", "203.0.113.0/24")]
    [InlineData("https://198.18.0.1/hook", "198.18.0.0/15")]
    [InlineData("https://192.88.99.1/hook", "192.88.99.0/24")]
    [InlineData("https://192.0.0.8/hook", "192.0.0.0/24")]
    [InlineData("https://224.0.0.1/hook", "224.0.0.0/4")]
    [InlineData("https://239.255.255.250/hook", "224.0.0.0/4")]
    [InlineData("https://240.0.0.1/hook", "240.0.0.0/4")]
    [InlineData("https://255.255.255.255/hook", "255.255.255.255/32")]
    // IPv6: mapped, compatible, NAT64, 6to4, Teredo, unique local, link-local, site-local, multicast, documentation, unspecified.
    [InlineData("https://[::ffff:127.0.0.1]/hook", "::ffff:0:0/96")]
    [InlineData("https://[::ffff:7f00:1]/hook", "::ffff:0:0/96")]
    [InlineData("https://[::ffff:169.254.169.254]/hook", "::ffff:0:0/96")]
    [InlineData("https://[::127.0.0.1]/hook", "::/96")]
    [InlineData("https://[64:ff9b::a9fe:a9fe]/hook", "64:ff9b::/96")]
    [InlineData("https://[64:ff9b:1::1]/hook", "64:ff9b:1::/48")]
    [InlineData("https://[2002:a9fe:a9fe::1]/hook", "2002::/16")]
    [InlineData("https://[2001:0:4136:e378::1]/hook", "2001::/23")]
    [InlineData("https://[2001:db8::1]/hook", "2001:db8::/32")]
    [InlineData("https://[fd12:3456::1]/hook", "fc00::/7")]
    [InlineData("https://[fe80::1]/hook", "fe80::/10")]
    [InlineData("https://[fec0::1]/hook", "fec0::/10")]
    [InlineData("https://[ff02::1]/hook", "ff00::/8")]
    [InlineData("https://[::]/hook", "::/128")]
    [InlineData("https://[100::1]/hook", "100::/64")]
    // Scheme, credentials, shape.
    [InlineData("http://example.com/hook", "https")]
    [InlineData("ftp://example.com/hook", "https")]
    [InlineData("https://user:secret@example.com/hook", "user information")]
    [InlineData("/relative/hook", "https")]
    [InlineData("", "Required")]
    public async Task A_target_in_a_refused_range_or_form_is_refused_with_the_reason(string url, string reason)
    {
        var problem = await OutboundHttp.CheckUrlAsync(url, Strict, default);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("https://8.8.8.8/hook")]
    [InlineData("https://[2606:4700::1111]/hook")]
    [InlineData("http://sink.test:7071/local/webhook-sink")] // allowed explicitly by the operator: http and any address
    public async Task Public_addresses_and_explicitly_allowed_hosts_are_accepted(string url) =>
        Assert.Null(await OutboundHttp.CheckUrlAsync(url, Strict, default));

    [Fact]
    public async Task The_private_network_switch_allows_loopback_and_private_ranges_but_never_metadata_or_multicast()
    {
        var local = new NotificationOptions { AllowPrivateNetworkTargets = true };
        Assert.Null(await OutboundHttp.CheckUrlAsync("http://127.0.0.1:9000/hook", local, default));
        Assert.Null(await OutboundHttp.CheckUrlAsync("https://10.1.2.3/hook", local, default));
        Assert.Contains("169.254.0.0/16", await OutboundHttp.CheckUrlAsync("http://169.254.169.254/", local, default));
        Assert.Contains("224.0.0.0/4", await OutboundHttp.CheckUrlAsync("http://224.0.0.1/", local, default));
        Assert.Contains("100.64.0.0/10", await OutboundHttp.CheckUrlAsync("http://100.64.1.1/", local, default));
    }

    [Theory]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("0177.0.0.01", "127.0.0.1")]
    [InlineData("10.1", "10.0.0.1")]
    [InlineData("192.168.257", "192.168.1.1")]
    [InlineData("example.com", null)]
    [InlineData("256.1.1.1", null)]
    [InlineData("08.1.1.1", null)]
    public void Odd_ipv4_notations_are_read_as_a_resolver_reads_them(string host, string? expected) =>
        Assert.Equal(expected, OutboundHttp.ParseAddressLiteral(host)?.ToString());

    [Fact]
    public async Task The_handler_refuses_at_connect_time_a_name_that_resolves_to_a_refused_address()
    {
        // "localhost" passes no creation check here (it is refused by name there); the connection is what is tested:
        // the handler resolves it itself and refuses the loopback answers before any byte is sent.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new HttpClient(OutboundHttp.CreateHandler(new NotificationOptions()));
        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync($"http://localhost:{port}/hook", new StringContent("{}")));
        var message = (error.InnerException ?? error).Message;
        Assert.Contains("Refused to connect to 'localhost'", message);
        // Which rule refused it, never the address the name resolved to: that would map internal DNS for a caller.
        Assert.Contains("resolves to a private or special-purpose address", message);
        Assert.DoesNotContain("127.0.0.1", message);
        Assert.DoesNotContain("::1", message);
        Assert.DoesNotContain("127.0.0.0/8", message);
        Assert.False(listener.Pending());
    }

    [Theory]
    [InlineData("10.20.30.40", "private-use")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fd12:3456::7", "unique local")]
    public async Task A_name_that_resolves_to_a_refused_address_is_refused_at_creation_without_naming_the_address(string resolved, string rule)
    {
        var answer = IPAddress.Parse(resolved);
        var problem = await OutboundHttp.CheckUrlAsync("https://intranet.example.com/hook", Strict, (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), answer }), default);
        Assert.NotNull(problem);
        Assert.Contains("'intranet.example.com' resolves to a private or special-purpose address", problem);
        Assert.Contains(rule, problem);
        Assert.DoesNotContain(resolved, problem);
        Assert.DoesNotContain(answer.ToString(), problem);
        Assert.DoesNotContain("93.184.215.14", problem);
        Assert.DoesNotContain("/", problem.Replace("https://", "", StringComparison.Ordinal)); // no CIDR that narrows it down either
        // A name whose every answer is public passes.
        Assert.Null(await OutboundHttp.CheckUrlAsync("https://intranet.example.com/hook", Strict, (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14") }), default));
    }

    [Fact]
    public void A_standard_webhooks_signature_matches_the_specification_example()
    {
        // The example of the Standard Webhooks specification and its reference libraries.
        var body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
        var signature = WebhookSignature.SignStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void During_a_rotation_both_secrets_sign_in_both_schemes_and_each_verifies_alone()
    {
        var (current, previous) = (WebhookSignature.NewSecret(), WebhookSignature.NewSecret());
        var body = Encoding.UTF8.GetBytes("""{"id":"d1"}""");
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var headers = WebhookChannelSender.SignatureHeaders("d1", now.ToUnixTimeSeconds(), body, current, previous).ToDictionary(h => h.Name, h => h.Value);
        Assert.Equal(2, headers["X-PulseStream-Signature"].Split(' ').Length);
        Assert.Equal(2, headers["webhook-signature"].Split(' ').Length);
        foreach (var secret in new[] { current, previous })
        {
            Assert.True(WebhookSignature.Verify(secret, headers["X-PulseStream-Timestamp"], headers["X-PulseStream-Signature"], body, now, TimeSpan.FromMinutes(5)));
            Assert.True(WebhookSignature.VerifyStandard(secret, headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body, now, TimeSpan.FromMinutes(5)));
        }
        Assert.False(WebhookSignature.VerifyStandard(WebhookSignature.NewSecret(), "d1", headers["webhook-timestamp"], headers["webhook-signature"], body, now, TimeSpan.FromMinutes(5)));
        var alone = WebhookChannelSender.SignatureHeaders("d1", now.ToUnixTimeSeconds(), body, current, null).ToDictionary(h => h.Name, h => h.Value);
        Assert.False(WebhookSignature.VerifyStandard(previous, "d1", alone["webhook-timestamp"], alone["webhook-signature"], body, now, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void A_rotated_out_secret_signs_for_24_hours_and_then_no_more()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z"));
        var protector = new SecretProtector(Options.Create(new SecretOptions { ProtectionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }));
        var now = clock.GetUtcNow();
        var channel = new Channel(Guid.NewGuid(), Guid.NewGuid(), ChannelTypes.Webhook, "hook", "https://example.com/h…", protector.Protect("https://example.com/hook"), [],
            protector.Protect("whsec_new"), protector.Protect("whsec_old"), now + ChannelStore.RotationOverlap, now, now, now);
        var store = new ChannelStore(null!, protector, clock);
        clock.Advance(TimeSpan.FromHours(23.9));
        Assert.Equal(new ChannelSecrets("https://example.com/hook", "whsec_new", "whsec_old"), store.Reveal(channel, clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromHours(0.2));
        Assert.Equal(new ChannelSecrets("https://example.com/hook", "whsec_new", null), store.Reveal(channel, clock.GetUtcNow()));
    }

    [Fact]
    public void An_acs_request_is_signed_over_method_path_date_host_and_body_hash_with_the_decoded_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var body = Encoding.UTF8.GetBytes("""{"senderAddress":"a@b.c"}""");
        var uri = new Uri("https://contoso.communication.azure.com/emails:send?api-version=2023-03-31");
        var now = DateTimeOffset.Parse("2026-12-01T10:00:00Z");
        var headers = AcsEmailTransport.Sign(uri, body, now, key).ToDictionary(h => h.Name, h => h.Value);
        Assert.Equal("Tue, 01 Dec 2026 10:00:00 GMT", headers["x-ms-date"]);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(body)), headers["x-ms-content-sha256"]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(
            $"POST\n/emails:send?api-version=2023-03-31\nTue, 01 Dec 2026 10:00:00 GMT;contoso.communication.azure.com;{headers["x-ms-content-sha256"]}")));
        Assert.Equal($"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={expected}", headers["Authorization"]);
    }

    [Theory]
    [InlineData("slack", "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnop", "https://hooks.slack.com/services/T0001/B0002/abcd…")]
    [InlineData("teams", "https://prod.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET", "https://prod.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invo…?…")]
    [InlineData("webhook", "https://example.com:8443/hooks/pulse?token=SECRET", "https://example.com:8443/hooks/puls…?…")]
    [InlineData("pagerduty", "R0UT1NGKEYR0UT1NGKEYR0UT1NGK1234", "…1234")]
    public void Targets_are_shown_masked(string type, string target, string shown)
    {
        Assert.Equal(shown, ChannelMasking.Mask(type, target));
        Assert.DoesNotContain("SECRET", ChannelMasking.Mask(type, target));
    }
}
