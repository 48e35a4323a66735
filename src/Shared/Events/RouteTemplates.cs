using System.Text;

namespace PulseStream.Events;

/// <summary>
/// Derives a route template from a concrete path when the client sends none, by replacing id-like segments
/// (numbers, UUIDs, long hex, base64-ish tokens, e-mail addresses) with <c>{id}</c>, so metrics group by endpoint
/// instead of by resource. A derived route always fits the store (<see cref="EventRules.MaxRouteBytes"/>): one that
/// would not keeps its leading whole segments that fit and ends in <see cref="Rest"/>.
/// </summary>
public static class RouteTemplates
{
    /// <summary>The last segment of a derived route cut to fit the store: the path went on.</summary>
    public const string Rest = "/{rest}";

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
    private static readonly System.Buffers.SearchValues<char> Letters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    private static readonly System.Buffers.SearchValues<char> TokenChars = System.Buffers.SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-=");

    public static string Derive(string path)
    {
        var query = path.IndexOfAny(['?', '#']);
        var span = query >= 0 ? path.AsSpan(0, query) : path.AsSpan();
        // Most paths of a busy API repeat: walk the segments without splitting, and build a new string only when a
        // segment is replaced.
        StringBuilder? builder = null;
        var start = 1;
        while (start <= span.Length)
        {
            var length = span[start..].IndexOf('/');
            if (length < 0) length = span.Length - start;
            var segment = span.Slice(start, length);
            if (IsIdLike(segment))
            {
                builder ??= new StringBuilder(span.Length).Append(span[..(start - 1)]);
                builder.Append("/{id}");
            }
            else builder?.Append('/').Append(segment);
            start += length + 1;
        }
        if (builder is not null) return FitToStore(builder.ToString());
        if (span.Length == 0) return "/";
        return FitToStore(query >= 0 ? span.ToString() : path);
    }

    /// <summary>
    /// The route itself when it is within <see cref="EventRules.MaxRouteBytes"/>; otherwise its longest run of leading
    /// whole segments that leaves room for <see cref="Rest"/>, then <see cref="Rest"/> (<c>/{rest}</c> alone when even
    /// the first segment is too long).
    /// </summary>
    internal static string FitToStore(string route)
    {
        if (EventRules.FitsRouteBytes(route)) return route;
        var budget = EventRules.MaxRouteBytes - Rest.Length;
        int kept = 0, bytes = 0;
        while (kept < route.Length)
        {
            var next = route.IndexOf('/', kept + 1);
            if (next < 0) next = route.Length;
            bytes += Encoding.UTF8.GetByteCount(route.AsSpan(kept, next - kept));
            if (bytes > budget) break;
            kept = next;
        }
        return string.Concat(route.AsSpan(0, kept), Rest);
    }

    internal static bool IsIdLike(ReadOnlySpan<char> segment)
    {
        if (segment.Length == 0) return false;
        if (!segment.ContainsAnyExcept(Digits)) return true;
        if (segment.Length is 32 or 36 or 38 && Guid.TryParse(segment, out _)) return true;
        if (segment.Contains('@')) return true;
        if (segment.Length >= 16 && !segment.ContainsAnyExcept(HexDigits)) return true;
        // Opaque tokens: long, mixed letters and digits, no separators a human-made word would carry.
        return segment.Length >= 20 && !segment.ContainsAnyExcept(TokenChars) && segment.ContainsAny(Digits) && segment.ContainsAny(Letters);
    }
}
