using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PulseStream.Hosting;
using PulseStream.Identity;
using PulseStream.Notifications;
using PulseStream.Realtime;
using PulseStream.Tenancy;

namespace PulseStream.UnitTests;

public class SecurityPrimitivesTests
{
    [Fact]
    public void Generated_api_keys_are_well_formed_and_a_mistyped_character_fails_the_checksum()
    {
        var key = ApiKeyFormat.Generate();
        Assert.StartsWith("psk_live_", key);
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        var typo = key[..20] + (key[20] == 'a' ? 'b' : 'a') + key[21..];
        Assert.False(ApiKeyFormat.IsWellFormed(typo));
        Assert.False(ApiKeyFormat.IsWellFormed(key[..^1]));
        Assert.NotEqual(key, ApiKeyFormat.Generate());
    }

    [Fact]
    public void Passwords_verify_only_with_the_right_password_and_carry_their_parameters()
    {
        var hasher = new PasswordHasher(iterations: 1000);
        var hash = hasher.Hash("correct horse battery staple");
        Assert.StartsWith("pbkdf2-sha256$1000$", hash);
        Assert.True(hasher.Verify("correct horse battery staple", hash));
        Assert.False(hasher.Verify("correct horse battery stapler", hash));
        Assert.NotEqual(hash, hasher.Hash("correct horse battery staple"));
    }

    private static PasswordHasher HasherOf(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))
            .Append(KeyValuePair.Create("Auth:SigningKey", (string?)Convert.ToBase64String(new byte[32])))).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddPersonAuth();
        return services.BuildServiceProvider().GetRequiredService<PasswordHasher>();
    }

    [Fact]
    public void Apps_hash_passwords_with_600000_iterations_unless_a_test_host_asks_for_fewer_which_azure_refuses()
    {
        Assert.StartsWith("pbkdf2-sha256$600000$", HasherOf().Hash("correct horse battery staple"));
        Assert.StartsWith("pbkdf2-sha256$1000$", HasherOf(("Auth:InsecureTestPasswordIterations", "1000")).Hash("correct horse battery staple"));
        Assert.Throws<OptionsValidationException>(() => HasherOf(("Auth:InsecureTestPasswordIterations", "700000")));
        Assert.False(new AuthOptions { InsecureTestPasswordIterations = 1000 }.IsAllowedHere("func-pulse-alerts"));
        Assert.True(new AuthOptions { InsecureTestPasswordIterations = 1000 }.IsAllowedHere(null));
        Assert.True(new AuthOptions().IsAllowedHere("func-pulse-alerts"));
    }

    [Fact]
    public void Webhook_signatures_verify_and_reject_changed_bodies_and_old_timestamps()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"1"}""");
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var signature = WebhookSignature.Sign("whsec_x", now.ToUnixTimeSeconds(), body);
        Assert.Matches("^v1=[0-9a-f]{64}$", signature);
        Assert.True(WebhookSignature.Verify("whsec_x", "1800000000", signature, body, now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_x", "1800000000", signature, Encoding.UTF8.GetBytes("""{"id":"2"}"""), now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_y", "1800000000", signature, body, now, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("whsec_x", "1800000000", signature, body, now.AddMinutes(10), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Protected_secrets_round_trip_and_are_not_stored_in_plain_text()
    {
        var protector = new SecretProtector(Options.Create(new SecretOptions { ProtectionKey = Convert.ToBase64String(new byte[32]) }));
        var stored = protector.Protect("whsec_secret");
        Assert.DoesNotContain("whsec_secret", Encoding.UTF8.GetString(Convert.FromBase64String(stored)));
        Assert.Equal("whsec_secret", protector.Unprotect(stored));
    }

    [Fact]
    public void Signalr_connection_strings_give_client_and_rest_urls_with_the_port_only_in_request_urls()
    {
        var connection = SignalRConnection.Parse("Endpoint=https://x.service.signalr.net;AccessKey=abc;Version=1.0;Port=8443;");
        Assert.Equal("https://x.service.signalr.net/client/?hub=pulse", connection.ClientUrl);
        var (requestUrl, audience) = connection.Rest("/api/v1/hubs/pulse/groups/g");
        Assert.Equal("https://x.service.signalr.net:8443/api/v1/hubs/pulse/groups/g", requestUrl);
        Assert.Equal("https://x.service.signalr.net/api/v1/hubs/pulse/groups/g", audience);
        Assert.Throws<FormatException>(() => SignalRConnection.Parse("AccessKey=abc"));
    }

    [Theory]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    public void Only_public_addresses_are_webhook_targets(string address, bool isPublic) =>
        Assert.Equal(isPublic, OutboundHttp.IsPublic(System.Net.IPAddress.Parse(address)));
}
