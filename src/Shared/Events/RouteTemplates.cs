using System.Text;

namespace PulseStream.Events;

/// <summary>
/// Derives a route template from a concrete path when the client sends none, by replacing id-like segments
/// (numbers, UUIDs, long hex, base64-ish tokens, e-mail addresses) with <c>{id}</c>, so metrics group by endpoint
/// instead of by resource.
/// </summary>
public static class RouteTemplates
{
    public static string Derive(string path)
    {
        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0) path = path[..query];
        var segments = path.Split('/');
        var builder = new StringBuilder(path.Length);
        for (var i = 1; i < segments.Length; i++)
        {
            builder.Append('/');
            builder.Append(IsIdLike(segments[i]) ? "{id}" : segments[i]);
        }
        return builder.Length == 0 ? "/" : builder.ToString();
    }

    internal static bool IsIdLike(string segment)
    {
        if (segment.Length == 0) return false;
        if (segment.All(char.IsAsciiDigit)) return true;
        if (Guid.TryParse(segment, out _)) return true;
        if (segment.Contains('@', StringComparison.Ordinal)) return true;
        if (segment.Length >= 16 && segment.All(char.IsAsciiHexDigit)) return true;
        // Opaque tokens: long, mixed letters and digits, no separators a human-made word would carry.
        if (segment.Length >= 20 && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '=')
            && segment.Any(char.IsAsciiDigit) && segment.Any(char.IsAsciiLetter))
            return true;
        return false;
    }
}
