using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PulseStream.LocalHost;

/// <summary>Where the local host keeps its state, and the address it serves on.</summary>
public sealed record LocalHostPaths(string StateDir, Uri BaseUrl);

/// <summary>
/// Settings the apps need that a laptop does not have: signing keys and the SignalR access key are generated once
/// and kept in <c>.pulse/secrets.json</c> (mode 600) so tokens survive restarts; the SignalR endpoint is this host.
/// Anything already configured wins.
/// </summary>
public static class LocalSettings
{
    public static WebApplicationBuilder AddLocalSettings(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var stateDir = Path.GetFullPath(configuration["Pulse:StateDir"] ?? ".pulse");
        Directory.CreateDirectory(stateDir);
        var url = (configuration["urls"] ?? "http://127.0.0.1:7071").Split(';')[0];
        var baseUrl = new Uri(url.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        var secrets = LoadOrCreateSecrets(Path.Combine(stateDir, "secrets.json"));

        var defaults = new Dictionary<string, string?>();
        void Default(string key, string value) { if (string.IsNullOrEmpty(configuration[key])) defaults[key] = value; }
        Default("Auth:SigningKey", secrets["authSigningKey"]);
        Default("Secrets:ProtectionKey", secrets["protectionKey"]);
        Default("SignalRConnection", $"Endpoint={baseUrl}signalr;AccessKey={secrets["signalRAccessKey"]};Version=1.0;");
        Default("EventHubName", "api-events");
        Default("Notifications:AllowPrivateNetworkTargets", "true");
        configuration.AddInMemoryCollection(defaults);
        builder.Services.AddSingleton(new LocalHostPaths(stateDir, baseUrl));
        return builder;
    }

    private static Dictionary<string, string> LoadOrCreateSecrets(string path)
    {
        string[] names = ["authSigningKey", "protectionKey", "signalRAccessKey"];
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        if (names.All(secrets.ContainsKey)) return secrets;
        foreach (var name in names.Where(n => !secrets.ContainsKey(n)))
            secrets[name] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        WritePrivate(path, JsonSerializer.Serialize(secrets));
        return secrets;
    }

    /// <summary>Writes a file only its owner can read.</summary>
    public static void WritePrivate(string path, string content)
    {
        using (File.Create(path, 0, FileOptions.None)) { }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, content);
    }

    public static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();
}
