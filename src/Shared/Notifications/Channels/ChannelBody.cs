using System.Text.RegularExpressions;
using PulseStream.Http;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// A channel as a person sends it (CONTRACT.md, "Extensions"): <c>{type, name, url (webhook, slack, teams),
/// routingKey (pagerduty), recipients (email)}</c>. On PUT, <c>url</c> and <c>routingKey</c> may be left out to keep
/// the stored one (GET shows them masked, so a client cannot send them back).
/// </summary>
public sealed record ChannelBody(string? Type, string? Name, string? Url, string? RoutingKey, IReadOnlyList<string>? Recipients);

/// <summary>Field-level validation of a channel body; the URL's SSRF check is <see cref="OutboundHttp.CheckUrlAsync"/>.</summary>
public static partial class ChannelValidator
{
    public const int MaxRecipients = 20;
    public const int MaxNameLength = 100;

    /// <summary>
    /// Validates <paramref name="body"/> for create (<paramref name="existing"/> null) or update (the stored channel,
    /// whose type cannot change and whose target is kept when none is given).
    /// </summary>
    public static async Task<List<FieldError>> ValidateAsync(ChannelBody body, Channel? existing, NotificationOptions options, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        var type = body.Type;
        if (type is null || !ChannelTypes.All.Contains(type))
        {
            errors.Add(new("type", "Must be webhook, slack, teams, pagerduty or email."));
            return errors;
        }
        if (existing is not null && existing.Type != type)
            errors.Add(new("type", $"A channel's type cannot change (this one is {existing.Type}); create a new channel instead."));
        if (string.IsNullOrWhiteSpace(body.Name)) errors.Add(new("name", "Required."));
        else if (body.Name.Length > MaxNameLength) errors.Add(new("name", $"At most {MaxNameLength} characters."));

        if (ChannelTypes.HasUrl(type))
        {
            if (body.Url is not null || existing is null)
                if (await OutboundHttp.CheckUrlAsync(body.Url, options, ct) is { } problem) errors.Add(new("url", problem));
        }
        else if (body.Url is not null) errors.Add(new("url", $"Not used by {type} channels."));

        if (type == ChannelTypes.PagerDuty)
        {
            if (body.RoutingKey is not null || existing is null)
                if (body.RoutingKey is null || !RoutingKeyPattern().IsMatch(body.RoutingKey))
                    errors.Add(new("routingKey", "Required: the 32-character integration key of a PagerDuty Events API v2 integration."));
        }
        else if (body.RoutingKey is not null) errors.Add(new("routingKey", $"Not used by {type} channels."));

        if (type == ChannelTypes.Email) ValidateRecipients(body.Recipients, errors);
        else if (body.Recipients is not null) errors.Add(new("recipients", $"Not used by {type} channels."));
        return errors;
    }

    private static void ValidateRecipients(IReadOnlyList<string>? recipients, List<FieldError> errors)
    {
        if (recipients is null || recipients.Count == 0)
        {
            errors.Add(new("recipients", "Required: one to 20 e-mail addresses."));
            return;
        }
        if (recipients.Count > MaxRecipients) errors.Add(new("recipients", $"At most {MaxRecipients} recipients."));
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Math.Min(recipients.Count, MaxRecipients); i++)
        {
            var address = recipients[i];
            if (string.IsNullOrWhiteSpace(address) || address.Length > 254 || !EmailPattern().IsMatch(address))
                errors.Add(new("recipients", $"'{Truncate(address)}' is not an e-mail address.", i));
            else if (!seen.Add(address)) errors.Add(new("recipients", $"'{address}' is listed twice.", i));
        }
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length > 60 ? value[..60] + "…" : value;

    [GeneratedRegex("^[A-Za-z0-9]{32}$")]
    private static partial Regex RoutingKeyPattern();

    // A plain addr-spec: no display names, comments, quoted parts or line breaks (nothing that could inject headers).
    [GeneratedRegex(@"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]
    private static partial Regex EmailPattern();
}
