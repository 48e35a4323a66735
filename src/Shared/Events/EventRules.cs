using System.Text;

namespace PulseStream.Events;

/// <summary>
/// The field rules of the edge/store contract, in one place for JSON events (<see cref="EventValidator"/>) and OTLP
/// spans (<see cref="Otlp.HttpServerSpans"/>): every value the edge accepts fits the columns, indexes and sums behind
/// it, so an accepted event can always be stored (docs/SECURITY.md, "The edge/store contract"). Lengths count UTF-16
/// units, as the contract's "characters" always have (a character outside the BMP counts two); no UTF-16 unit takes
/// more than 3 bytes of UTF-8, which bounds every text's size in the store.
/// </summary>
public static class EventRules
{
    public const int MaxEventIdLength = 64;
    public const int MaxPathLength = 2048;

    /// <summary>
    /// The route is in two B-tree keys, whose entries Postgres caps at 2,704 bytes ("index row size exceeds
    /// maximum"): <c>tenant_routes (tenant_id, route)</c> and the rollups' primary key <c>(tenant_id, bucket, route,
    /// method, status_class, consumer_id, environment)</c>. 1,024 bytes of route + 384 of consumer id (128 units) + 96
    /// of environment (32 units) + 7 of method + 26 of fixed columns + headers and padding is under 1,600 bytes; the
    /// open-alert key <c>(tenant_id, rule_id, group_key)</c>, which joins route, method, environment and consumer id,
    /// stays under it too. 2,048 characters of path, by contrast, can be 6 KB: a path is stored, never indexed.
    /// </summary>
    public const int MaxRouteBytes = 1024;

    public const int MaxConsumerIdLength = 128;
    public const int MaxEnvironmentLength = 32;
    public const int MaxAttributes = 20;
    public const int MaxAttributeKeyLength = 64;
    public const int MaxAttributeValueLength = 256;
    public const double MaxLatencyMs = 3_600_000;

    /// <summary>
    /// 2^40 bytes (1 TiB) per request or response body. A rollup cell sums at most 2^63 − 1, so it takes more than
    /// 2^63 / 2^40 = 2^23 = 8,388,608 maximal events in one cell (one tenant, minute, route, method, status class,
    /// consumer and environment) to reach it: 14 minutes of a tenant's whole default rate (10,000 events/s) aimed at
    /// one minute, which the 7-day window makes possible, so <see cref="Metrics.RollupCell"/> and the rollup upsert
    /// saturate at 2^63 − 1 rather than wrap or fail.
    /// </summary>
    public const long MaxByteCount = 1L << 40;

    public const string NulProblem = "Must not contain U+0000 (the store cannot hold it).";
    public const string NotUnicodeProblem = "Must be valid Unicode text (an escaped surrogate must be half of a pair).";
    public const string DuplicateKeyProblem = "Duplicate key.";
    public const string ByteCountProblem = "Must be a whole number from 0 to 1,099,511,627,776 (1 TiB).";

    /// <summary>Why a text breaks its field's rule (too long, or holding U+0000), or <c>null</c>.</summary>
    public static string? TextProblem(string text, int maxLength) =>
        text.Length > maxLength ? $"Must be at most {maxLength:N0} characters." : text.Contains('\0') ? NulProblem : null;

    public static string? PathProblem(string path) =>
        TextProblem(path, MaxPathLength) ?? (path.StartsWith('/') ? null : "Must start with '/'.");

    public static string? RouteProblem(string route)
    {
        if (!route.StartsWith('/')) return "Must start with '/'.";
        if (route.Contains('\0')) return NulProblem;
        return FitsRouteBytes(route) ? null : $"Must be at most {MaxRouteBytes:N0} bytes of UTF-8.";
    }

    /// <summary>Whether a route is within <see cref="MaxRouteBytes"/>; short routes are not counted.</summary>
    public static bool FitsRouteBytes(string route) =>
        route.Length * 3 <= MaxRouteBytes || (route.Length <= MaxRouteBytes && Encoding.UTF8.GetByteCount(route) <= MaxRouteBytes);

    public static string? ByteCount(long count) => count is < 0 or > MaxByteCount ? ByteCountProblem : null;

    /// <summary>The contract's name for an HTTP method in any ASCII case, or <c>null</c> when it records no such method.</summary>
    public static string? KnownMethod(ReadOnlySpan<byte> utf8) => utf8.Length switch
    {
        3 when Ascii.EqualsIgnoreCase(utf8, "GET"u8) => "GET",
        3 when Ascii.EqualsIgnoreCase(utf8, "PUT"u8) => "PUT",
        4 when Ascii.EqualsIgnoreCase(utf8, "POST"u8) => "POST",
        4 when Ascii.EqualsIgnoreCase(utf8, "HEAD"u8) => "HEAD",
        5 when Ascii.EqualsIgnoreCase(utf8, "PATCH"u8) => "PATCH",
        6 when Ascii.EqualsIgnoreCase(utf8, "DELETE"u8) => "DELETE",
        7 when Ascii.EqualsIgnoreCase(utf8, "OPTIONS"u8) => "OPTIONS",
        _ => null,
    };

    /// <inheritdoc cref="KnownMethod(ReadOnlySpan{byte})"/>
    public static string? KnownMethod(ReadOnlySpan<char> method)
    {
        if (method.Length is < 3 or > 7 || !Ascii.IsValid(method)) return null;
        Span<byte> utf8 = stackalloc byte[7];
        var written = Encoding.ASCII.GetBytes(method, utf8);
        return KnownMethod(utf8[..written]);
    }

    public const string MethodProblem = "Must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.";
}
