using Microsoft.Extensions.Options;
using PulseStream.Identity;

namespace PulseStream.UnitTests;

public class TokenServiceTests
{
    private static readonly string OldKey = Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
    private static readonly string NewKey = Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray());
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static TokenService Service(string key, string kid, string? previous = null, DateTimeOffset? now = null) =>
        new(Options.Create(new AuthOptions { SigningKey = key, SigningKeyId = kid, PreviousSigningKey = previous }), new FixedClock(now ?? Now));

    [Fact]
    public async Task Issued_tokens_validate_and_carry_the_caller()
    {
        var caller = new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Admin);
        var service = Service(NewKey, "k2");
        Assert.Equal(caller, await service.ValidateAsync(service.IssueAccessToken(caller)));
    }

    [Fact]
    public async Task A_rotated_key_keeps_old_tokens_valid_through_their_kid_until_the_previous_key_is_dropped()
    {
        var caller = new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Viewer);
        var oldToken = Service(OldKey, "k1").IssueAccessToken(caller);
        Assert.Equal(caller, await Service(NewKey, "k2", previous: $"k1:{OldKey}").ValidateAsync(oldToken));
        Assert.Null(await Service(NewKey, "k2").ValidateAsync(oldToken));
        // A token claiming the new kid but signed with the old key is still refused.
        Assert.Null(await Service(NewKey, "k1").ValidateAsync(oldToken));
    }

    [Fact]
    public async Task Tokens_expire_after_fifteen_minutes_with_at_most_thirty_seconds_of_skew()
    {
        var token = Service(NewKey, "k2").IssueAccessToken(new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Owner));
        Assert.NotNull(await Service(NewKey, "k2", now: Now.AddMinutes(15).AddSeconds(29)).ValidateAsync(token));
        Assert.Null(await Service(NewKey, "k2", now: Now.AddMinutes(15).AddSeconds(31)).ValidateAsync(token));
    }
}
