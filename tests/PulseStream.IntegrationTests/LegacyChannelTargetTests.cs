using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Notifications;
using PulseStream.Notifications.Channels;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Channels written before migration 0017 kept their target (a webhook or Slack URL, a credential) in plain text. The
/// host encrypts them when it starts, once: the row keeps only the masked form in the clear, and still delivers.
/// </summary>
public class LegacyChannelTargetTests
{
    [Fact]
    public async Task Targets_stored_in_plain_text_before_0017_are_encrypted_at_start_up_once_and_still_deliver()
    {
        await using var receiver = await RecordingReceiver.StartAsync();
        await using var host = await LocalHostProcess.StartAsync("pulse_legacy_targets");
        var owner = await People.SignupAsync(host, "Legacy Co");
        var protector = new SecretProtector(Options.Create(new SecretOptions { ProtectionKey = host.ProtectionKey }));
        var webhookId = Guid.NewGuid();
        var webhookUrl = receiver.Url("/legacy?token=old-plain-token");
        var slackId = Guid.NewGuid();
        var slackUrl = new Uri(host.BaseUrl, "local/format-sink/slack?legacy=slack-plain-secret").ToString();
        // As the first schema stored them: the URL itself in target, nothing in target_protected.
        await host.ScalarAsync("""
            INSERT INTO channels (tenant_id, id, type, name, target, secret_protected) VALUES
                ($1, $2, 'webhook', 'Old hook', $3, $4), ($1, $5, 'slack', 'Old slack', $6, NULL)
            """, owner.TenantId, webhookId, webhookUrl, protector.Protect(WebhookSignature.NewSecret()), slackId, slackUrl);
        Assert.Equal(2, await PlainCountAsync());

        host.Kill();
        await host.StartAsync();
        Assert.Equal(0, await PlainCountAsync());
        Assert.Equal(ChannelMasking.Mask("webhook", webhookUrl), await TargetAsync(webhookId));
        Assert.Equal(ChannelMasking.Mask("slack", slackUrl), await TargetAsync(slackId));
        Assert.Contains("Encrypted 2 channel targets stored in plain text", host.Output);

        // They deliver to the URL they were given, as before.
        var token = owner.AccessToken;
        Assert.True((await TestSendAsync(webhookId)).GetProperty("delivered").GetBoolean());
        Assert.Equal("/legacy?token=old-plain-token", Assert.Single(receiver.Received).PathAndQuery);
        Assert.True((await TestSendAsync(slackId)).GetProperty("delivered").GetBoolean());

        // Idempotent: another start changes nothing (the ciphertext stays the one written first).
        var protectedBefore = await ProtectedAsync(webhookId);
        host.Kill();
        await host.StartAsync();
        Assert.Equal(protectedBefore, await ProtectedAsync(webhookId));
        Assert.True((await TestSendAsync(webhookId)).GetProperty("delivered").GetBoolean());
        Assert.Equal(2, receiver.Received.Count);

        async Task<JsonElement> TestSendAsync(Guid channelId)
        {
            using var response = await host.Http.SendAsync(host.Authorized(HttpMethod.Post, $"api/v1/channels/{channelId}/test", token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
        Task<long> PlainCountAsync() => host.ScalarAsync("""
            SELECT count(*) FROM channels WHERE tenant_id = $1
                AND (target_protected IS NULL OR target LIKE '%old-plain-token%' OR target LIKE '%slack-plain-secret%')
            """, owner.TenantId);
        Task<string> TargetAsync(Guid id) => TextAsync("SELECT target FROM channels WHERE tenant_id = $1 AND id = $2", id);
        Task<string> ProtectedAsync(Guid id) => TextAsync("SELECT target_protected FROM channels WHERE tenant_id = $1 AND id = $2", id);
        async Task<string> TextAsync(string sql, Guid id)
        {
            await using var connection = new NpgsqlConnection(host.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue(owner.TenantId);
            command.Parameters.AddWithValue(id);
            return (string)(await command.ExecuteScalarAsync())!;
        }
    }
}
