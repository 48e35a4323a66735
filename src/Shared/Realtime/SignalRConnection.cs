namespace PulseStream.Realtime;

/// <summary>
/// A SignalR Service connection string (<c>Endpoint=https://x.service.signalr.net;AccessKey=...;Version=1.0;</c>,
/// optionally <c>Port=</c>). With a port, request URLs carry it and token audiences do not (AZURE.md).
/// </summary>
public sealed record SignalRConnection(Uri Endpoint, string AccessKey, int? Port)
{
    public const string Setting = "SignalRConnection";
    public const string Hub = "pulse";

    public static SignalRConnection Parse(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var uri))
            throw new FormatException("The SignalR connection string has no valid Endpoint.");
        if (!parts.TryGetValue("AccessKey", out var key) || key.Length == 0)
            throw new FormatException("The SignalR connection string has no AccessKey.");
        int? port = parts.TryGetValue("Port", out var p) && int.TryParse(p, out var n) ? n : null;
        return new SignalRConnection(uri, key, port);
    }

    private string Base(bool withPort)
    {
        var builder = new UriBuilder(Endpoint);
        if (withPort && Port is { } port) builder.Port = port;
        return builder.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>What clients connect to, and the audience of their tokens.</summary>
    public string ClientUrl => $"{Base(withPort: false)}/client/?hub={Hub}";

    /// <summary>A REST path's request URL (with port) and audience (without).</summary>
    public (string RequestUrl, string Audience) Rest(string path) => ($"{Base(withPort: true)}{path}", $"{Base(withPort: false)}{path}");
}
