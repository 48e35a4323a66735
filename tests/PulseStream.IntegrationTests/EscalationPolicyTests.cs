using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Escalation policies through the API of a real host (issue 14 §1): read back as written, validated against the
/// tenant's own channels and members, audited, named by rules, and not deletable while a rule names them.
/// </summary>
public class EscalationPolicyTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private async Task<Guid> EmailChannelAsync(string token)
    {
        var (status, body) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/channels", token, new { type = "email", name = "On-call mail", recipients = new[] { "oncall@example.com" } });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {body}");
        return body.GetProperty("id").GetGuid();
    }

    private static object Rule(Guid? escalationPolicyId) => new
    {
        name = $"Checkout errors {Guid.NewGuid():N}", enabled = true, severity = "critical",
        condition = new { type = "threshold", metric = "error_rate", @operator = ">", threshold = 0.2, window = "5m", minRequests = 20 },
        @for = "1m", channelIds = Array.Empty<Guid>(), escalationPolicyId,
    };

    [Fact]
    public async Task A_policy_is_read_back_as_written_replaced_whole_hidden_from_viewers_and_every_change_is_audited()
    {
        var owner = await People.SignupAsync(Host, "Escalation Co");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");
        var channel = await EmailChannelAsync(owner.AccessToken);

        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken, new
        {
            name = "  Checkout on-call ",
            steps = new object[] { new { delay = "5m", channelIds = new[] { channel } }, new { delay = "15m", userIds = new[] { viewer.Id, owner.Id } } },
            repeat = 2, ackTimeout = "30m",
        });
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {created}");
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("Checkout on-call", created.GetProperty("name").GetString());
        Assert.Equal(2, created.GetProperty("repeat").GetInt32());
        Assert.Equal("30m", created.GetProperty("ackTimeout").GetString());
        var steps = created.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["5m", "15m"], steps.Select(s => s.GetProperty("delay").GetString()));
        Assert.Equal([channel], steps[0].GetProperty("channelIds").EnumerateArray().Select(c => c.GetGuid()));
        Assert.Empty(steps[0].GetProperty("userIds").EnumerateArray());
        Assert.Equal([viewer.Id, owner.Id], steps[1].GetProperty("userIds").EnumerateArray().Select(u => u.GetGuid()));

        // The list and the one policy read back what the create answered; a viewer reads neither (policies name members).
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Get, "api/v1/escalation-policies", viewer.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/escalation-policies/{id}", viewer.AccessToken)).Status);
        var listed = Assert.Single((await Host.GetJsonAsync("api/v1/escalation-policies", owner.AccessToken)).GetProperty("items").EnumerateArray());
        Assert.Equal(created.ToString(), listed.ToString());
        Assert.Equal(created.ToString(), (await Host.GetJsonAsync($"api/v1/escalation-policies/{id}", owner.AccessToken)).ToString());
        var (viewerWrite, _) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/escalation-policies/{id}", viewer.AccessToken, new { name = "x", steps = new[] { new { delay = "1m", channelIds = new[] { channel } } } });
        Assert.Equal(HttpStatusCode.Forbidden, viewerWrite);

        // PUT replaces the whole body: repeat left out is 0, ackTimeout left out is none (shown as null).
        var (replacedStatus, replaced) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/escalation-policies/{id}", owner.AccessToken,
            new { name = "Checkout primary", steps = new[] { new { delay = "1m", channelIds = new[] { channel } } } });
        Assert.True(replacedStatus == HttpStatusCode.OK, $"{(int)replacedStatus} {replaced}");
        Assert.Equal("Checkout primary", replaced.GetProperty("name").GetString());
        Assert.Equal(0, replaced.GetProperty("repeat").GetInt32());
        Assert.Equal(JsonValueKind.Null, replaced.GetProperty("ackTimeout").ValueKind);
        Assert.Single(replaced.GetProperty("steps").EnumerateArray());
        Assert.Equal(created.GetProperty("createdAt").GetDateTimeOffset(), replaced.GetProperty("createdAt").GetDateTimeOffset());

        // Another tenant finds nothing by this id, to read, replace or delete.
        var stranger = await People.SignupAsync(Host, "Stranger Co");
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete })
        {
            var (foreign, _) = await Host.SendJsonAsync(method, $"api/v1/escalation-policies/{id}", stranger.AccessToken,
                method == HttpMethod.Put ? new { name = "Mine now", steps = new[] { new { delay = "1m", userIds = new[] { stranger.Id } } } } : null);
            Assert.Equal(HttpStatusCode.NotFound, foreign);
        }
        Assert.Empty((await Host.GetJsonAsync("api/v1/escalation-policies", stranger.AccessToken)).GetProperty("items").EnumerateArray());

        var (deleted, _) = await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/escalation-policies/{id}", owner.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        var (again, _) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/escalation-policies/{id}", owner.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, again);

        Assert.Equal(3, await Host.ScalarAsync("""
            SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND target_type = 'escalation_policy' AND target_id = $2
                AND action IN ('escalation_policy.create', 'escalation_policy.update', 'escalation_policy.delete') AND actor_id = $3
            """, owner.TenantId, id.ToString(), owner.Id.ToString()));
    }

    [Fact]
    public async Task A_policy_may_name_only_the_tenants_own_channels_and_members_and_bounds_are_answered_per_field()
    {
        var owner = await People.SignupAsync(Host, "Validating Co");
        var other = await People.SignupAsync(Host, "Other Co");
        var theirChannel = await EmailChannelAsync(other.AccessToken);
        var ourChannel = await EmailChannelAsync(owner.AccessToken);

        var (status, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken, new
        {
            name = "Borrowed",
            steps = new object[] { new { delay = "5m", channelIds = new[] { ourChannel } }, new { delay = "5m", channelIds = new[] { theirChannel }, userIds = new[] { other.Id } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith("/invalid-escalation-policy", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString(), e.GetProperty("index").GetInt32())).ToList();
        Assert.Equal([("steps.channelIds", 1), ("steps.userIds", 1)], errors);

        (status, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken, new
        {
            name = "Too quick", steps = new[] { new { delay = "30s", channelIds = new[] { ourChannel } } }, repeat = 11, ackTimeout = "10s",
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(["repeat", "ackTimeout", "steps.delay"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));

        // Names are unique per tenant, whatever their case; nothing was stored by the refused writes.
        var first = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken, new { name = "Primary", steps = new[] { new { delay = "5m", userIds = new[] { owner.Id } } } });
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var (dup, dupProblem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken, new { name = "PRIMARY", steps = new[] { new { delay = "5m", userIds = new[] { owner.Id } } } });
        Assert.Equal(HttpStatusCode.Conflict, dup);
        Assert.EndsWith("/escalation-policy-name-taken", dupProblem.GetProperty("type").GetString());
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM escalation_policies WHERE tenant_id = $1", owner.TenantId));
    }

    [Fact]
    public async Task A_rule_names_only_an_existing_policy_and_a_policy_or_channel_in_use_cannot_be_deleted()
    {
        var owner = await People.SignupAsync(Host, "Routing Co");
        var channel = await EmailChannelAsync(owner.AccessToken);
        var (_, policy) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", owner.AccessToken,
            new { name = "Checkout on-call", steps = new[] { new { delay = "5m", channelIds = new[] { channel } } } });
        var policyId = policy.GetProperty("id").GetGuid();
        var stranger = await People.SignupAsync(Host, "Stranger Co");
        var (_, theirPolicy) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/escalation-policies", stranger.AccessToken,
            new { name = "Theirs", steps = new[] { new { delay = "5m", userIds = new[] { stranger.Id } } } });

        // Unknown or another tenant's policy: 400 on the field.
        foreach (var unknown in new[] { Guid.NewGuid(), theirPolicy.GetProperty("id").GetGuid() })
        {
            var (refused, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, Rule(unknown));
            Assert.Equal(HttpStatusCode.BadRequest, refused);
            Assert.Equal("escalationPolicyId", Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
        }
        var (createdStatus, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, Rule(policyId));
        Assert.True(createdStatus == HttpStatusCode.Created, $"{(int)createdStatus} {rule}");
        Assert.Equal(policyId, rule.GetProperty("escalationPolicyId").GetGuid());
        var ruleId = rule.GetProperty("id").GetGuid();
        var ruleName = rule.GetProperty("name").GetString()!;

        // In use: the policy by the rule, the channel by the policy; both answers name who uses them.
        var (inUse, inUseProblem) = await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/escalation-policies/{policyId}", owner.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, inUse);
        Assert.EndsWith("/escalation-policy-in-use", inUseProblem.GetProperty("type").GetString());
        Assert.Contains(ruleName, inUseProblem.GetProperty("detail").GetString());
        var (channelInUse, channelProblem) = await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/channels/{channel}", owner.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, channelInUse);
        Assert.Contains("escalation policy Checkout on-call", channelProblem.GetProperty("detail").GetString());

        // A PUT to an unknown policy is refused and keeps the rule's; a PUT to none frees the policy, and then the channel.
        var (badPut, _) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", owner.AccessToken, Rule(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.BadRequest, badPut);
        Assert.Equal(policyId, (await Host.GetJsonAsync($"api/v1/alert-rules/{ruleId}", owner.AccessToken)).GetProperty("escalationPolicyId").GetGuid());
        var (freed, _) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/alert-rules/{ruleId}", owner.AccessToken, Rule(null));
        Assert.Equal(HttpStatusCode.OK, freed);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/escalation-policies/{policyId}", owner.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/channels/{channel}", owner.AccessToken)).Status);
    }

    [Fact]
    public async Task The_database_refuses_a_rule_naming_a_policy_that_does_not_exist_whatever_the_caller_checked()
    {
        // What a rule write racing the policy's delete meets: migration 0022's trigger, not only the API's check.
        var owner = await People.SignupAsync(Host, "Trigger Co");
        var (_, rule) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/alert-rules", owner.AccessToken, Rule(null));
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Host.ScalarAsync(
            "UPDATE alert_rules SET definition = definition || jsonb_build_object('escalationPolicyId', $2::text) WHERE tenant_id = $1 AND id = $3",
            owner.TenantId, Guid.NewGuid().ToString(), rule.GetProperty("id").GetGuid()));
        Assert.Equal("alert_rules_escalation_policy_exists", error.ConstraintName);
    }
}
