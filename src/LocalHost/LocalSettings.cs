using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PulseStream.LocalHost;

/// <summary>Where the local host keeps its state, and the address it serves on.</summary>
public sealed record LocalHostPaths(string StateDir, Uri BaseUrl);

/// <summary>
/// Settings the apps need that a laptop does not have: signing keys, the SignalR access key and the operator key
/// (<c>./pulse dead-letters</c> reads it) are generated once and kept in <c>.pulse/secrets.json</c> (mode 600) so
/// tokens survive restarts; the SignalR endpoint is this host.
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
        Default("Operations:OperatorKey", secrets["operatorKey"]);
        Default("SignalRConnection", $"Endpoint={baseUrl}signalr;AccessKey={secrets["signalRAccessKey"]};Version=1.0;");
        // The SignalR surface reports connections to the Realtime app's upstream route, as infra/modules/signalr.bicep configures the service.
        Default("LocalSignalR:UpstreamUrlTemplate", baseUrl + "api/signalr/upstream/{hub}/{category}/{event}");
        Default("EventHubName", "api-events");
        Default("Notifications:AllowPrivateNetworkTargets", "true");
        // The local sinks: the one host an operator allows explicitly (plain http, loopback); PagerDuty events go to its sink.
        Default("Notifications:AllowedHosts:0", baseUrl.Authority);
        Default("Notifications:PagerDutyEventsUrl", baseUrl + "local/format-sink/pagerduty");
        Default("Notifications:DashboardUrl", baseUrl + "dashboard/");
        // E-mail goes through MailKit to the SMTP server inside this host (Demo/LocalMailServer.cs), on a free port.
        var smtpPort = configuration["LocalSmtp:Port"] is { Length: > 0 } configuredPort ? configuredPort : FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Default("LocalSmtp:Port", smtpPort);
        Default("Email:Transport", "smtp");
        Default("Email:Smtp:Host", "127.0.0.1");
        Default("Email:Smtp:Port", smtpPort);
        Default("Email:Smtp:Security", "none");
        SeparateAppRole(configuration, defaults, secrets["postgresAppPassword"]);
        configuration.AddInMemoryCollection(defaults);
        builder.Services.AddSingleton(new LocalHostPaths(stateDir, baseUrl));
        return builder;
    }

    /// <summary>
    /// The configured connection is the schema owner's (the private cluster's superuser, locally). It becomes the
    /// migration connection, and the apps connect as a login role of their own that owns nothing and cannot bypass
    /// row-level security: <c>&lt;database&gt;_app</c>, its password generated once.
    /// </summary>
    private static void SeparateAppRole(IConfiguration configuration, Dictionary<string, string?> defaults, string generatedPassword)
    {
        if (!string.IsNullOrEmpty(configuration["PostgresMigrationConnection"]) || configuration["PostgresConnection"] is not { Length: > 0 } owner) return;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(owner);
        var role = configuration["Postgres:AppRole"] is { Length: > 0 } r ? r
            : System.Text.RegularExpressions.Regex.Replace((builder.Database ?? "pulsestream").ToLowerInvariant(), "[^a-z0-9_]", "_") + "_app";
        var password = configuration["Postgres:AppRolePassword"] is { Length: > 0 } p ? p : Convert.ToHexStringLower(Convert.FromBase64String(generatedPassword));
        defaults["PostgresMigrationConnection"] = owner;
        defaults["Postgres:AppRole"] = role;
        defaults["Postgres:AppRolePassword"] = password;
        builder.Username = role;
        builder.Password = password;
        defaults["PostgresConnection"] = builder.ConnectionString;
    }

    private static Dictionary<string, string> LoadOrCreateSecrets(string path)
    {
        string[] names = ["authSigningKey", "protectionKey", "signalRAccessKey", "postgresAppPassword", "operatorKey"];
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        if (names.All(secrets.ContainsKey)) return secrets;
        foreach (var name in names.Where(n => !secrets.ContainsKey(n)))
            secrets[name] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        WritePrivate(path, JsonSerializer.Serialize(secrets));
        return secrets;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
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
