using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Identity;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Refresh-token rotation with a grace (RFC 9700 §4.14.2): two tabs refreshing the same token at once both get the
/// same new pair; a spent token presented after the grace (10 s, the host's default) is a replay and revokes the
/// family. The host's clock is its own, so "after the grace" is made by moving the spent token's <c>spent_at</c>
/// back: the one timestamp the grace is measured from. The host's code and configuration run unchanged.
/// </summary>
public class RefreshGraceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private sealed record Pair(string AccessToken, string RefreshToken);

    private async Task<(HttpStatusCode Status, Pair? Pair)> RefreshAsync(string refreshToken)
    {
        using var response = await Host.Http.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken });
        if (response.StatusCode != HttpStatusCode.OK) return (response.StatusCode, null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, new Pair(body.GetProperty("accessToken").GetString()!, body.GetProperty("refreshToken").GetString()!));
    }

    /// <summary>As if the token had been spent <paramref name="seconds"/> earlier than it was.</summary>
    private Task<long> SpentEarlierAsync(string refreshToken, int seconds) =>
        Host.ScalarAsync("UPDATE refresh_tokens SET spent_at = spent_at - make_interval(secs => $2) WHERE token_hash = $1 AND spent_at IS NOT NULL",
            RefreshTokens.Hash(refreshToken), (double)seconds);

    private Task<long> RevokedTokensAsync(Guid userId) =>
        Host.ScalarAsync("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL", userId);

    private async Task<HttpStatusCode> UseAsync(string accessToken)
    {
        using var response = await Host.Http.SendAsync(Host.Authorized(HttpMethod.Get, "api/v1/dashboard/overview?window=5m", accessToken));
        return response.StatusCode;
    }

    [Fact]
    public async Task Concurrent_refreshes_of_one_token_all_get_the_same_new_pair_and_the_family_lives_on()
    {
        var person = await People.SignupAsync(Host, "Two Tabs Co");
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RefreshAsync(person.RefreshToken)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var pair = answers[0].Pair!;
        Assert.All(answers, a => Assert.Equal(pair, a.Pair));
        Assert.NotEqual(person.RefreshToken, pair.RefreshToken);
        Assert.Equal(0, await RevokedTokensAsync(person.Id));
        Assert.Equal(HttpStatusCode.OK, await UseAsync(pair.AccessToken));

        // The successor is a live token of the family: it rotates in turn.
        var (status, next) = await RefreshAsync(pair.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEqual(pair.RefreshToken, next!.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, await UseAsync(next.AccessToken));
        Assert.Equal(0, await RevokedTokensAsync(person.Id));

        // The successor kept in the spent row is encrypted: neither token of the pair is stored in plain text.
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM refresh_tokens WHERE token_hash = $1 AND successor_protected IS NOT NULL",
            RefreshTokens.Hash(person.RefreshToken)));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM refresh_tokens WHERE successor_protected LIKE '%' || $1 || '%' OR successor_protected LIKE '%' || $2 || '%'",
            pair.RefreshToken, pair.AccessToken.Split('.')[1]));
    }

    [Fact]
    public async Task A_spent_token_presented_again_within_the_grace_answers_the_same_pair()
    {
        var person = await People.SignupAsync(Host, "Slow Tab Co");
        var (_, first) = await RefreshAsync(person.RefreshToken);
        await SpentEarlierAsync(person.RefreshToken, 8); // the second tab, 8 s later
        var (status, again) = await RefreshAsync(person.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(first, again);
        Assert.Equal(0, await RevokedTokensAsync(person.Id));
    }

    [Fact]
    public async Task Refresh_rotates_and_presenting_a_spent_token_after_the_grace_revokes_the_whole_family()
    {
        var person = await People.SignupAsync(Host, "Replay Co");
        var (rotatedStatus, second) = await RefreshAsync(person.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, rotatedStatus);
        Assert.NotEqual(person.RefreshToken, second!.RefreshToken);

        // The first token again, 11 s after it was spent: a replay. It fails, and so does the legitimate newer token.
        await SpentEarlierAsync(person.RefreshToken, 11);
        using (var replay = await Host.Http.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = person.RefreshToken }))
            await IngestPipelineTests.AssertProblem(replay, HttpStatusCode.Unauthorized, "invalid-refresh-token");
        var (afterReplay, _) = await RefreshAsync(second.RefreshToken);
        Assert.Equal(HttpStatusCode.Unauthorized, afterReplay);
        Assert.True(await RevokedTokensAsync(person.Id) >= 2);
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'auth.refresh_reuse'", person.TenantId));
    }
}
