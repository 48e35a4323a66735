using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PulseStream.Notifications;

/// <summary>Settings for outbound notification HTTP (app settings <c>Notifications__*</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>
    /// Allows plain <c>http</c> and targets on loopback and private networks (RFC 1918, IPv6 unique local) for every
    /// host. Off in Azure; on for a developer's machine. Link-local (the cloud metadata address), CGNAT, multicast and
    /// the other special-purpose ranges stay refused even so.
    /// </summary>
    public bool AllowPrivateNetworkTargets { get; set; }

    /// <summary>
    /// Hosts an operator allows explicitly, as <c>host</c> or <c>host:port</c> (the local host's own sinks): for them
    /// plain <c>http</c> and any address are allowed.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Where PagerDuty events go (Events API v2); an operator may point it elsewhere (a test receiver).</summary>
    public string PagerDutyEventsUrl { get; set; } = "https://events.pagerduty.com/v2/enqueue";

    /// <summary>The dashboard's address, for the links in messages (<c>https://…/dashboard/</c>).</summary>
    public string? DashboardUrl { get; set; }
}

/// <summary>Why an outbound target was refused: the field-level message shown to the caller.</summary>
public sealed class OutboundTargetRefusedException(string message) : HttpRequestException(message);

/// <summary>
/// The SSRF guard for every notification that leaves over HTTP (webhooks, Slack, Teams, PagerDuty, ACS e-mail):
/// a URL is checked when a channel is created or changed (<see cref="CheckUrlAsync"/>), and the handler
/// (<see cref="CreateHandler(NotificationOptions)"/>) checks again at connect time the very addresses it connects to,
/// after its own DNS resolution, so a name that rebinds between the two checks cannot reach a refused address.
/// The handler follows no redirects, uses no proxy and times out; callers bound what they read of a response.
/// </summary>
public static class OutboundHttp
{
    public static SocketsHttpHandler CreateHandler(NotificationOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxResponseHeadersLength = 64, // KiB
        ConnectCallback = async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var hostAllowed = IsAllowedHost(options, host, context.DnsEndPoint.Port);
            IPAddress[] addresses;
            if (ParseAddressLiteral(host) is { } literal) addresses = [literal];
            else addresses = await Dns.GetHostAddressesAsync(host, ct);
            if (addresses.Length == 0) throw new OutboundTargetRefusedException($"The host '{host}' has no addresses.");
            if (!hostAllowed)
            {
                foreach (var address in addresses)
                    if (RefusedRange(address, options.AllowPrivateNetworkTargets) is { } range)
                        throw new OutboundTargetRefusedException($"Refused to connect to '{host}': it {ResolvesToRefused(range)}.");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // The addresses checked above, not a second resolution: what was checked is what is reached.
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// Checks a target URL as given by a person: absolute, <c>https</c> (unless the host is allowed explicitly or
    /// private targets are), no user info, a host that is not a refused address in any notation, and, when the name
    /// resolves, no refused address among its answers. Returns the problem, or null when the URL may be used.
    /// </summary>
    public static Task<string?> CheckUrlAsync(string? url, NotificationOptions options, CancellationToken ct) =>
        CheckUrlAsync(url, options, Dns.GetHostAddressesAsync, ct);

    /// <summary><see cref="CheckUrlAsync(string?, NotificationOptions, CancellationToken)"/> with the resolver given (a test's own answers).</summary>
    public static async Task<string?> CheckUrlAsync(string? url, NotificationOptions options, Func<string, CancellationToken, Task<IPAddress[]>> resolve,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url)) return "Required.";
        if (url.Length > 2048) return "At most 2,048 characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            return "Must be an absolute https URL.";
        if (uri.UserInfo.Length > 0) return "Must not carry user information (user:password@).";
        var host = uri.IdnHost;
        var allowed = IsAllowedHost(options, host, uri.Port);
        if (uri.Scheme != Uri.UriSchemeHttps && !allowed && !options.AllowPrivateNetworkTargets) return "Must use https.";
        if (allowed) return null;
        if (IsLocalName(host)) return $"The host '{host}' is a local name.";
        if (ParseAddressLiteral(host) is { } literal)
            return Refusal(literal, options.AllowPrivateNetworkTargets) is { } why ? $"The address {literal} is {why}." : null;
        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            addresses = await resolve(host, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // A name that does not resolve now is not refused for that alone; every connection checks it again.
            return null;
        }
        foreach (var address in addresses)
            if (RefusedRange(address, options.AllowPrivateNetworkTargets) is { } range)
                return $"The host '{host}' {ResolvesToRefused(range)}.";
        return null;
    }

    /// <summary>
    /// Why a name was refused for what it resolved to: the rule (the kind of range), never the address or the range's
    /// CIDR, which would let a caller map the internal DNS of wherever PulseStream runs. An address the caller typed is
    /// theirs already; only those are named (<see cref="Refusal"/>).
    /// </summary>
    private static string ResolvesToRefused(AddressRange range) => $"resolves to a private or special-purpose address ({range.Name})";

    /// <summary>Whether the address is a public unicast address (not in any special-purpose range).</summary>
    public static bool IsPublic(IPAddress address) => Refusal(address, allowPrivate: false) is null;

    /// <summary>Why the address may not be a notification target (its range, CIDR and name), or null when it may.</summary>
    public static string? Refusal(IPAddress address, bool allowPrivate) => RefusedRange(address, allowPrivate) switch
    {
        null => null,
        var range when ReferenceEquals(range, OutsideGlobalUnicast) => $"outside {range.Cidr} ({range.Name})",
        var range => $"in {range.Cidr} ({range.Name})",
    };

    private static readonly AddressRange OutsideGlobalUnicast = SpecialPurposeRanges.GlobalUnicast with { Name = "not global unicast" };

    /// <summary>The refused range the address is in, or null when it may be a target.</summary>
    private static AddressRange? RefusedRange(IPAddress address, bool allowPrivate)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) address = new IPAddress(address.GetAddressBytes());
        foreach (var range in SpecialPurposeRanges.All)
        {
            if (!range.Contains(address)) continue;
            return allowPrivate && range.PrivateNetwork ? null : range;
        }
        return address.AddressFamily == AddressFamily.InterNetworkV6 && !SpecialPurposeRanges.GlobalUnicast.Contains(address) ? OutsideGlobalUnicast : null;
    }

    /// <summary>
    /// The host as an IP address if it is one in any notation a resolver accepts: dotted or not, decimal, octal
    /// (leading 0), hexadecimal (0x), short forms (<c>127.1</c>, <c>2130706433</c>), bracketed IPv6.
    /// </summary>
    public static IPAddress? ParseAddressLiteral(string host)
    {
        var h = host.Trim('[', ']').TrimEnd('.');
        if (h.Contains(':')) return IPAddress.TryParse(h, out var v6) ? v6 : null;
        var parts = h.Split('.');
        if (parts.Length is 0 or > 4) return null;
        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!TryParseInetPart(parts[i], out values[i])) return null;
        // inet_aton: the last part fills the remaining bytes.
        ulong result = 0;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 255) return null;
            result |= values[i] << (8 * (3 - i));
        }
        var lastBits = 8 * (5 - parts.Length);
        if (lastBits < 64 && values[^1] >= 1UL << lastBits) return null;
        result |= values[^1];
        return new IPAddress([(byte)(result >> 24), (byte)(result >> 16), (byte)(result >> 8), (byte)result]);
    }

    private static bool TryParseInetPart(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0 || part.Length > 34) return false;
        if (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return part.Length == 2 || ulong.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (part.Length > 1 && part[0] == '0')
        {
            foreach (var c in part)
            {
                if (c is < '0' or > '7') return false;
                value = value * 8 + (ulong)(c - '0');
                if (value > uint.MaxValue) return false;
            }
            return true;
        }
        return part.All(char.IsAsciiDigit) && ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= uint.MaxValue;
    }

    private static bool IsLocalName(string host)
    {
        var h = host.TrimEnd('.').ToLowerInvariant();
        return h is "localhost" or "metadata" or "metadata.google.internal" || h.EndsWith(".localhost", StringComparison.Ordinal)
            || h.EndsWith(".local", StringComparison.Ordinal) || h.EndsWith(".internal", StringComparison.Ordinal) || !h.Contains('.') && ParseAddressLiteral(h) is null;
    }

    private static bool IsAllowedHost(NotificationOptions options, string host, int port)
    {
        var h = host.Trim('[', ']');
        foreach (var entry in options.AllowedHosts)
        {
            var e = entry.Trim();
            if (e.Length == 0) continue;
            var colon = e.LastIndexOf(':');
            var (entryHost, entryPort) = colon > 0 && !e.EndsWith(']') && e.IndexOf(':') == colon ? (e[..colon], e[(colon + 1)..]) : (e, null);
            if (!string.Equals(entryHost.Trim('[', ']'), h, StringComparison.OrdinalIgnoreCase)) continue;
            if (entryPort is null || entryPort == port.ToString(CultureInfo.InvariantCulture)) return true;
        }
        return false;
    }
}
