using PulseStream.Alerting.Escalation;

namespace PulseStream.UnitTests;

public class EscalationPolicyValidatorTests
{
    private static readonly Guid Channel = Guid.NewGuid();
    private static readonly Guid Member = Guid.NewGuid();

    private static EscalationPolicyBody Valid() => new("Checkout on-call",
        [new EscalationStep("5m", [Channel], []), new EscalationStep("10m", [], [Member])], 2, "30m");

    private static List<string> FieldsOf(EscalationPolicyBody? body) => EscalationPolicyValidator.Validate(body).Select(e => e.Field).ToList();

    [Fact]
    public void A_policy_as_the_contract_shows_it_is_valid_and_repeat_and_ack_timeout_may_be_left_out()
    {
        Assert.Empty(EscalationPolicyValidator.Validate(Valid()));
        Assert.Empty(EscalationPolicyValidator.Validate(Valid() with { Repeat = null, AckTimeout = null }));
        Assert.Empty(EscalationPolicyValidator.Validate(Valid() with { Repeat = 10, AckTimeout = "7d" }));
    }

    [Theory]
    [InlineData("30s")]   // under a minute
    [InlineData("0m")]
    [InlineData("90s")]   // not whole minutes
    [InlineData("25h")]   // over a day
    [InlineData("5")]
    [InlineData(null)]
    public void A_step_delay_must_be_whole_minutes_from_one_minute_to_a_day(string? delay)
    {
        var errors = EscalationPolicyValidator.Validate(Valid() with { Steps = [new EscalationStep(delay, [Channel], null)] });
        var error = Assert.Single(errors);
        Assert.Equal("steps.delay", error.Field);
        Assert.Equal(0, error.Index);
    }

    [Fact]
    public void Each_step_notifies_someone_and_names_no_target_twice_and_at_most_twenty_of_each()
    {
        var many = Enumerable.Range(0, 21).Select(_ => Guid.NewGuid()).ToList();
        var errors = EscalationPolicyValidator.Validate(Valid() with
        {
            Steps =
            [
                new EscalationStep("1m", [Channel], null),
                new EscalationStep("1m", null, null),
                new EscalationStep("1m", [Channel, Channel], [Member, Member]),
                new EscalationStep("1m", many, many),
            ],
        });
        Assert.Equal([(1, "steps"), (2, "steps.channelIds"), (2, "steps.userIds"), (3, "steps.channelIds"), (3, "steps.userIds")],
            errors.Select(e => (e.Index ?? -1, e.Field)).ToList());
    }

    [Fact]
    public void Name_steps_repeat_and_ack_timeout_are_bounded()
    {
        Assert.Equal(["name"], FieldsOf(Valid() with { Name = " " }));
        Assert.Equal(["name"], FieldsOf(Valid() with { Name = new string('n', 101) }));
        Assert.Equal(["steps"], FieldsOf(Valid() with { Steps = [] }));
        Assert.Equal(["steps"], FieldsOf(Valid() with { Steps = null }));
        Assert.Equal(["steps"], FieldsOf(Valid() with { Steps = Enumerable.Range(0, 11).Select(_ => new EscalationStep("1m", [Channel], null)).ToList() }));
        Assert.Equal(["repeat"], FieldsOf(Valid() with { Repeat = 11 }));
        Assert.Equal(["repeat"], FieldsOf(Valid() with { Repeat = -1 }));
        Assert.Equal(["ackTimeout"], FieldsOf(Valid() with { AckTimeout = "30s" }));
        Assert.Equal(["ackTimeout"], FieldsOf(Valid() with { AckTimeout = "8d" }));
        Assert.Equal(["$"], FieldsOf(null));
    }
}
