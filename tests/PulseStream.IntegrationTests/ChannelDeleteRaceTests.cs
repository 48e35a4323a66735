using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A rule write naming a channel and that channel's deletion, sent at the same moment: one of them must lose. Either the
/// rule references a channel that still exists and the delete answers 409, or the delete wins and the rule write is
/// refused; never a rule that names a deleted channel.
/// </summary>
public class ChannelDeleteRaceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static object RuleBody(string name, params string[] channelIds) => new
    {
        name, enabled = false, severity = "info",
        condition = new { type = "threshold", metric = "request_count", @operator = ">", threshold = 1e6, window = "5m" },
        channelIds,
    };

    [Fact]
    public async Task A_rule_write_racing_the_deletion_of_its_channel_never_leaves_the_rule_naming_a_deleted_channel()
    {
        var owner = await People.SignupAsync(Host, "Race Co");
        using (var keep = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, RuleBody("Replaced"))))
            Assert.Equal(HttpStatusCode.Created, keep.StatusCode);
        var replacedId = (await Host.GetJsonAsync("api/v1/alert-rules", owner.AccessToken)).GetProperty("items")[0].GetProperty("id").GetString();
        var outcomes = new List<string>();
        for (var round = 0; round < 30; round++)
        {
            using var created = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Post, "api/v1/channels", owner.AccessToken,
                new { type = "email", name = $"Ops {round}", recipients = new[] { "ops@example.com" } }));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var channelId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            // Even rounds create a rule naming the channel, odd rounds replace an existing rule to name it.
            var write = round % 2 == 0
                ? Host.Authorized(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, RuleBody($"Created {round}", channelId))
                : Host.Authorized(HttpMethod.Put, $"api/v1/alert-rules/{replacedId}", owner.AccessToken, RuleBody("Replaced", channelId));
            var delete = Host.Authorized(HttpMethod.Delete, $"api/v1/channels/{channelId}", owner.AccessToken);
            var responses = await Task.WhenAll(Host.Http.SendAsync(write), Host.Http.SendAsync(delete));
            var (ruleStatus, deleteStatus) = ((int)responses[0].StatusCode, (int)responses[1].StatusCode);
            var ruleText = await responses[0].Content.ReadAsStringAsync();
            foreach (var response in responses) response.Dispose();

            Assert.True(ruleStatus is 200 or 201 or 400, $"round {round}: rule write {ruleStatus} {ruleText}");
            Assert.True(deleteStatus is 204 or 409, $"round {round}: delete {deleteStatus}");
            Assert.False(ruleStatus is 200 or 201 && deleteStatus == 204, $"round {round}: the rule was written ({ruleStatus}) and its channel deleted (204)");
            Assert.False(ruleStatus == 400 && deleteStatus == 409, $"round {round}: both refused");
            if (ruleStatus == 400) Assert.Contains("channelIds", ruleText);
            outcomes.Add($"{ruleStatus}/{deleteStatus}");

            // Let go of the channel for the next round, so every round starts alike.
            if (round % 2 == 1 && ruleStatus == 200)
            {
                using var release = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Put, $"api/v1/alert-rules/{replacedId}", owner.AccessToken, RuleBody("Replaced")));
                Assert.Equal(HttpStatusCode.OK, release.StatusCode);
            }
        }
        Assert.Equal(0, await Host.ScalarAsync("""
            SELECT count(*) FROM alert_rules r, jsonb_array_elements_text(r.definition -> 'channelIds') AS ids(id)
            WHERE r.tenant_id = $1 AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.tenant_id = r.tenant_id AND c.id = ids.id::uuid)
            """, owner.TenantId));
    }
}
