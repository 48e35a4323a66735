namespace PulseStream.Notifications.Channels;

/// <summary>
/// What a person is shown of a channel's target: enough to recognise it, never the part that is a credential.
/// URLs keep scheme, host, port and path but the last segment (Slack's token is there) shows 4 characters, and any
/// query (Teams' <c>sig=</c>) is hidden; routing keys show their last 4 characters.
/// </summary>
public static class ChannelMasking
{
    public const string Hidden = "…";

    public static string Mask(string type, string target) => type == ChannelTypes.PagerDuty ? MaskKey(target) : MaskUrl(target);

    public static string MaskKey(string key) => key.Length <= 8 ? Hidden : Hidden + key[^4..];

    public static string MaskUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return Hidden;
        var segments = uri.AbsolutePath.Split('/');
        var last = segments[^1];
        if (last.Length > 0) segments[^1] = last.Length <= 4 ? Hidden : last[..4] + Hidden;
        var port = uri.IsDefaultPort ? "" : $":{uri.Port}";
        return $"{uri.Scheme}://{uri.Host}{port}{string.Join('/', segments)}{(uri.Query.Length > 0 ? "?" + Hidden : "")}";
    }
}
