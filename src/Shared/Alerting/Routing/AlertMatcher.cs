using System.Text.RegularExpressions;
using PulseStream.Http;

namespace PulseStream.Alerting.Routing;

/// <summary>One matcher as the API reads and writes it (CONTRACT.md, "Matchers"): <c>{name, op, value}</c>.</summary>
public sealed record AlertMatcherBody(string Name, string Op, string Value);

/// <summary>
/// A checked, compiled matcher: <c>=</c> and <c>!=</c> compare the label exactly (methods ignoring case), <c>=~</c>
/// and <c>!~</c> test a regular expression anchored at both ends, as Alertmanager's are. Expressions come from users
/// and are evaluated on every notification decision, so they are bounded in length and compiled non-backtracking
/// (time linear in the input, no catastrophic patterns) with a match timeout besides; a match that times out counts
/// as not matching, so a pathological silence silences nothing rather than everything.
/// </summary>
public sealed class AlertMatcher
{
    public static readonly string[] Operators = ["=", "!=", "=~", "!~"];
    public const int MaxValueLength = 1024;
    public const int MaxPatternLength = 256;
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    private readonly Regex? _regex;

    private AlertMatcher(AlertMatcherBody body, Regex? regex)
    {
        Body = body;
        _regex = regex;
    }

    public AlertMatcherBody Body { get; }

    /// <summary>A compiled matcher, or the reason <paramref name="body"/> is not one.</summary>
    public static (AlertMatcher? Matcher, string? Error) Create(AlertMatcherBody? body)
    {
        if (body is null) return (null, "A matcher object is required.");
        if (body.Name is null || !AlertLabels.Names.Contains(body.Name)) return (null, $"name must be one of {string.Join(", ", AlertLabels.Names)}.");
        if (body.Op is null || !Operators.Contains(body.Op)) return (null, "op must be one of = != =~ !~.");
        if (body.Value is null) return (null, "value is required.");
        var isRegex = body.Op is "=~" or "!~";
        if (!isRegex) return body.Value.Length > MaxValueLength ? (null, $"value must be at most {MaxValueLength:N0} characters.") : (new AlertMatcher(body, null), null);
        if (body.Value.Length > MaxPatternLength) return (null, $"A regular expression must be at most {MaxPatternLength} characters.");
        try
        {
            var regex = new Regex($"^(?:{body.Value})$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
            return (new AlertMatcher(body, regex), null);
        }
        catch (ArgumentException)
        {
            return (null, "value is not a valid regular expression.");
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds and atomic groups need backtracking.
            return (null, "value uses a construct that is not supported (backreferences, lookarounds, atomic groups).");
        }
    }

    /// <summary>Whether the label this matcher names, on <paramref name="labels"/>, satisfies it.</summary>
    public bool Matches(AlertLabels labels) => Matches(labels[Body.Name]);

    /// <summary>Whether a label value satisfies this matcher.</summary>
    public bool Matches(string value) => Body.Op switch
    {
        "=" => Equal(value),
        "!=" => !Equal(value),
        "=~" => RegexMatches(value) == true,
        _ => RegexMatches(value) == false,
    };

    private bool Equal(string value) =>
        string.Equals(value, Body.Value, Body.Name == "method" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    // Null when the match timed out: then neither =~ nor !~ holds.
    private bool? RegexMatches(string value)
    {
        try
        {
            return _regex!.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }
}

/// <summary>
/// The matchers of a silence (or maintenance window): an alert is matched when every matcher matches it. At least one
/// and at most <see cref="MaxMatchers"/>; at least one must not match the empty value (as Alertmanager requires), so a
/// silence never matches every alert by accident (<c>rule=~".*"</c> alone would).
/// </summary>
public sealed class AlertMatcherSet
{
    public const int MaxMatchers = 20;

    private AlertMatcherSet(IReadOnlyList<AlertMatcher> matchers) => Matchers = matchers;

    public IReadOnlyList<AlertMatcher> Matchers { get; }

    public IReadOnlyList<AlertMatcherBody> Bodies => Matchers.Select(m => m.Body).ToList();

    /// <summary>The compiled set, or the errors, each naming <c>{field}[i]</c> or <c>{field}</c>.</summary>
    public static (AlertMatcherSet? Set, List<FieldError> Errors) Create(IReadOnlyList<AlertMatcherBody?>? bodies, string field = "matchers")
    {
        var errors = new List<FieldError>();
        if (bodies is null || bodies.Count == 0) { errors.Add(new(field, "At least one matcher is required.")); return (null, errors); }
        if (bodies.Count > MaxMatchers) { errors.Add(new(field, $"At most {MaxMatchers} matchers.")); return (null, errors); }
        var matchers = new List<AlertMatcher>();
        for (var i = 0; i < bodies.Count; i++)
        {
            var (matcher, error) = AlertMatcher.Create(bodies[i]);
            if (matcher is null) errors.Add(new($"{field}[{i}]", error!, i));
            else matchers.Add(matcher);
        }
        if (errors.Count == 0 && matchers.All(m => m.Matches("")))
            errors.Add(new(field, "At least one matcher must not match an empty value; as written the silence would match every alert."));
        return errors.Count > 0 ? (null, errors) : (new AlertMatcherSet(matchers), errors);
    }

    /// <summary>Whether every matcher matches <paramref name="labels"/>.</summary>
    public bool Matches(AlertLabels labels) => Matchers.All(m => m.Matches(labels));
}
