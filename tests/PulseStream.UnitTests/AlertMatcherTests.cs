using PulseStream.Alerting;
using PulseStream.Alerting.Routing;

namespace PulseStream.UnitTests;

public class AlertMatcherTests
{
    private static readonly AlertLabels Checkout = AlertLabels.Of("Checkout errors", "critical",
        new RuleFilters(Route: "/v1/checkout", Method: "post", Environment: "production"), ["consumerId"], "consumerId=acme");

    private static AlertMatcher Compile(string name, string op, string value) =>
        AlertMatcher.Create(new AlertMatcherBody(name, op, value)).Matcher ?? throw new InvalidOperationException("not a matcher");

    [Fact]
    public void Labels_come_from_the_rule_its_filters_and_the_group_key_parts()
    {
        Assert.Equal(new AlertLabels("Checkout errors", "critical", "/v1/checkout", "POST", "acme", "production", "consumerId=acme"), Checkout);
    }

    [Fact]
    public void A_grouped_dimension_is_the_alert_own_value_and_values_may_hold_commas_and_equals_signs()
    {
        var labels = AlertLabels.Of("r", "warning", new RuleFilters(Route: "/v1/a"), ["route", "method", "consumerId"],
            "route=/v1/b,c=d,method=GET,consumerId=x,y=z");
        Assert.Equal(("/v1/b,c=d", "GET", "x,y=z"), (labels.Route, labels.Method, labels.ConsumerId));
        Assert.Equal("", labels.Environment);
    }

    [Fact]
    public void A_group_key_of_an_unexpected_shape_yields_no_parts()
    {
        Assert.Empty(AlertLabels.GroupKeyParts(["route", "method"], "route=/v1/a"));
        Assert.Empty(AlertLabels.GroupKeyParts(["route"], "method=GET"));
        Assert.Empty(AlertLabels.GroupKeyParts([], ""));
    }

    [Theory]
    [InlineData("rule", "=", "Checkout errors", true)]
    [InlineData("rule", "=", "checkout errors", false)]
    [InlineData("severity", "!=", "critical", false)]
    [InlineData("severity", "!=", "warning", true)]
    [InlineData("method", "=", "post", true)]
    [InlineData("route", "=~", "/v1/.*", true)]
    [InlineData("route", "=~", "/v1", false)]
    [InlineData("route", "!~", "/v2/.*", true)]
    [InlineData("consumerId", "=~", "acme|globex", true)]
    [InlineData("environment", "!~", "prod.*", false)]
    [InlineData("group", "=", "consumerId=acme", true)]
    public void Each_operator_matches_as_Alertmanager_does_with_regexes_anchored(string name, string op, string value, bool expected) =>
        Assert.Equal(expected, Compile(name, op, value).Matches(Checkout));

    [Fact]
    public void A_label_the_alert_lacks_is_empty_so_not_equals_matches_it_and_equals_does_not()
    {
        var ungrouped = AlertLabels.Of("r", "info", null, null, "");
        Assert.True(Compile("route", "!=", "/v1/checkout").Matches(ungrouped));
        Assert.False(Compile("route", "=", "/v1/checkout").Matches(ungrouped));
    }

    [Theory]
    [InlineData("host", "=", "a", "name must be one of")]
    [InlineData("route", "==", "a", "op must be one of")]
    [InlineData("route", "=~", "(", "not a valid regular expression")]
    [InlineData("route", "=~", "(a)\\1", "not supported")]
    [InlineData("route", "=~", "(?=a)a", "not supported")]
    public void An_invalid_matcher_says_why(string name, string op, string value, string reason) =>
        Assert.Contains(reason, AlertMatcher.Create(new AlertMatcherBody(name, op, value)).Error);

    [Fact]
    public void Values_and_patterns_are_bounded_in_length()
    {
        Assert.NotNull(AlertMatcher.Create(new AlertMatcherBody("route", "=", new string('a', AlertMatcher.MaxValueLength))).Matcher);
        Assert.NotNull(AlertMatcher.Create(new AlertMatcherBody("route", "=", new string('a', AlertMatcher.MaxValueLength + 1))).Error);
        Assert.NotNull(AlertMatcher.Create(new AlertMatcherBody("route", "=~", new string('a', AlertMatcher.MaxPatternLength))).Matcher);
        Assert.NotNull(AlertMatcher.Create(new AlertMatcherBody("route", "=~", new string('a', AlertMatcher.MaxPatternLength + 1))).Error);
    }

    [Fact]
    public void A_catastrophic_pattern_runs_in_linear_time_because_regexes_do_not_backtrack()
    {
        // (a+)+$ against a long run of a's and one b backtracks exponentially in a backtracking engine; here it answers.
        var matcher = Compile("consumerId", "=~", "(a+)+");
        Assert.False(matcher.Matches(new string('a', 5000) + "b"));
        Assert.True(matcher.Matches(new string('a', 5000)));
    }

    [Fact]
    public void A_set_matches_when_every_matcher_matches()
    {
        var (set, errors) = AlertMatcherSet.Create([new("route", "=", "/v1/checkout"), new("severity", "=~", "critical|warning")]);
        Assert.Empty(errors);
        Assert.True(set!.Matches(Checkout));
        var (other, _) = AlertMatcherSet.Create([new("route", "=", "/v1/checkout"), new("severity", "=", "info")]);
        Assert.False(other!.Matches(Checkout));
    }

    [Fact]
    public void A_set_needs_one_to_twenty_matchers_and_one_that_does_not_match_empty()
    {
        Assert.Equal("matchers", Assert.Single(AlertMatcherSet.Create([]).Errors).Field);
        Assert.Equal("matchers", Assert.Single(AlertMatcherSet.Create(null).Errors).Field);
        Assert.Single(AlertMatcherSet.Create(Enumerable.Repeat(new AlertMatcherBody("rule", "=", "a"), 21).ToList()).Errors);
        Assert.Contains("every alert", Assert.Single(AlertMatcherSet.Create([new("route", "!=", "/v1/x"), new("rule", "=~", ".*")]).Errors).Message);
        var broken = AlertMatcherSet.Create([new("rule", "=", "a"), new("nope", "=", "b")]).Errors;
        Assert.Equal(("matchers[1]", 1), (Assert.Single(broken).Field, broken[0].Index));
    }
}
