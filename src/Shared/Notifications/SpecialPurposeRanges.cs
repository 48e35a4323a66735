using System.Net;
using System.Net.Sockets;

namespace PulseStream.Notifications;

/// <summary>One address block: its CIDR, what it is, and whether it is a private network an operator may allow.</summary>
public sealed record AddressRange(string Cidr, string Name, bool PrivateNetwork = false)
{
    private readonly byte[] _prefix = IPNetwork.Parse(Cidr).BaseAddress.GetAddressBytes();
    private readonly int _length = IPNetwork.Parse(Cidr).PrefixLength;

    public bool Contains(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length != _prefix.Length) return false;
        var full = _length / 8;
        for (var i = 0; i < full; i++)
            if (bytes[i] != _prefix[i]) return false;
        var rest = _length % 8;
        if (rest == 0) return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (bytes[full] & mask) == (_prefix[full] & mask);
    }
}

/// <summary>
/// The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates), plus multicast and the
/// reserved blocks: no notification goes to any of them. IPv6 targets must also be global unicast (2000::/3).
/// </summary>
public static class SpecialPurposeRanges
{
    public static readonly AddressRange GlobalUnicast = new("2000::/3", "global unicast");

    public static readonly IReadOnlyList<AddressRange> All =
    [
        // IPv4
        new("0.0.0.0/8", "\"this network\""),
        new("10.0.0.0/8", "private-use", PrivateNetwork: true),
        new("100.64.0.0/10", "shared address space, CGNAT"),
        new("127.0.0.0/8", "loopback", PrivateNetwork: true),
        new("169.254.0.0/16", "link-local, where cloud metadata services answer"),
        new("172.16.0.0/12", "private-use", PrivateNetwork: true),
        new("192.0.0.0/24", "IETF protocol assignments"),
        new("192.0.2.0/24", "documentation, TEST-NET-1"),
        new("192.31.196.0/24", "AS112-v4"),
        new("192.52.193.0/24", "AMT"),
        new("192.88.99.0/24", "6to4 relay anycast"),
        new("192.168.0.0/16", "private-use", PrivateNetwork: true),
        new("192.175.48.0/24", "direct delegation AS112 service"),
        new("198.18.0.0/15", "benchmarking"),
        new("198.51.100.0/24", "documentation, TEST-NET-2"),
        new("203.0.113.0/24", "documentation, TEST-NET-3"),
        new("224.0.0.0/4", "multicast"),
        new("255.255.255.255/32", "limited broadcast"),
        new("240.0.0.0/4", "reserved"),
        // IPv6
        new("::/128", "unspecified"),
        new("::1/128", "loopback", PrivateNetwork: true),
        new("::ffff:0:0/96", "IPv4-mapped"),
        new("::/96", "IPv4-compatible (deprecated)"),
        new("64:ff9b::/96", "IPv4-IPv6 translation, NAT64"),
        new("64:ff9b:1::/48", "local-use IPv4-IPv6 translation, NAT64"),
        new("100::/64", "discard-only"),
        new("2001::/23", "IETF protocol assignments (Teredo, benchmarking, ORCHID)"),
        new("2001:db8::/32", "documentation"),
        new("2002::/16", "6to4"),
        new("3fff::/20", "documentation"),
        new("5f00::/16", "segment routing (SRv6) SIDs"),
        new("fc00::/7", "unique local", PrivateNetwork: true),
        new("fe80::/10", "link-local"),
        new("fec0::/10", "site-local (deprecated)"),
        new("ff00::/8", "multicast"),
    ];
}
