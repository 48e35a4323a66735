using System.Net;
using System.Net.Sockets;

namespace PulseStream.Notifications;

/// <summary>Settings for outbound notification HTTP (app settings <c>Notifications__*</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Allows webhook targets on loopback and private networks. Off in Azure; on for the local host's demo sink.</summary>
    public bool AllowPrivateNetworkTargets { get; set; }
}

/// <summary>
/// The HTTP handler for webhooks and Slack: no redirects, short timeouts, and an SSRF guard that checks the address
/// actually connected to (after DNS resolution, so a rebinding name cannot slip through) against private ranges.
/// </summary>
public static class OutboundHttp
{
    public static SocketsHttpHandler CreateHandler(bool allowPrivateTargets) => new()
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.Where(a => allowPrivateTargets || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
                throw new HttpRequestException($"The target host '{context.DnsEndPoint.Host}' resolves only to private or reserved addresses.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast);
        var b = address.GetAddressBytes();
        return !(b[0] == 10 || b[0] == 0 || b[0] == 127 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224);
    }
}
