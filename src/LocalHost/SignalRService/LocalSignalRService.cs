using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.SignalR;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PulseStream.Realtime;

namespace PulseStream.LocalHost.SignalRService;

/// <summary>
/// The service-side hub clients connect to. Clients only listen; the app sends through the REST API. Each connect
/// is reported to the upstream first, as the service reports it, and refused when the upstream answers non-2xx.
/// </summary>
[Microsoft.AspNetCore.Authorization.Authorize(AuthenticationSchemes = LocalSignalRService.Scheme)]
public sealed class ServiceHub(UserGroups groups, LocalUpstream upstream) : Hub
{
    public override async Task OnConnectedAsync()
    {
        var user = Context.UserIdentifier ?? "";
        // Tracked before the upstream is asked, so that a close the upstream requests meanwhile finds the connection.
        groups.Connected(user, Context);
        if (!await upstream.ConnectedAsync(Context))
        {
            groups.Disconnected(user, Context.ConnectionId);
            throw new HubException("The connection was refused.");
        }
        foreach (var group in groups.GroupsOf(user)) await Groups.AddToGroupAsync(Context.ConnectionId, group);
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        groups.Disconnected(Context.UserIdentifier ?? "", Context.ConnectionId);
        await upstream.DisconnectedAsync(Context);
        await base.OnDisconnectedAsync(exception);
    }
}

/// <summary>The user id of a service connection: its token's <c>nameid</c> claim, as the service reads it.</summary>
public sealed class NameIdUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User.FindFirst("nameid")?.Value;
}

/// <summary>
/// User-to-group membership as SignalR Service keeps it: a user added to a group has all their connections in it,
/// present and future. Also each user's open connections, so that the REST API can close them.
/// </summary>
public sealed class UserGroups
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _groupsByUser = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HubCallerContext>> _connectionsByUser = new();
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();

    public IEnumerable<string> GroupsOf(string user) => _groupsByUser.TryGetValue(user, out var g) ? g.Keys : [];
    public IEnumerable<string> ConnectionsOf(string user) => _connectionsByUser.TryGetValue(user, out var c) ? c.Keys : [];
    public int ConnectionCount => _connections.Count;

    public void AddToGroup(string user, string group) => _groupsByUser.GetOrAdd(user, _ => new())[group] = true;
    public void RemoveFromGroup(string user, string group) { if (_groupsByUser.TryGetValue(user, out var g)) g.TryRemove(group, out _); }

    /// <summary>Forgets all the user's groups and returns them.</summary>
    public IReadOnlyCollection<string> RemoveFromAllGroups(string user) =>
        _groupsByUser.TryRemove(user, out var g) ? g.Keys.ToList() : [];

    public void Connected(string user, HubCallerContext context)
    {
        _connections[context.ConnectionId] = context;
        _connectionsByUser.GetOrAdd(user, _ => new())[context.ConnectionId] = context;
    }

    public void Disconnected(string user, string connectionId)
    {
        _connections.TryRemove(connectionId, out _);
        if (_connectionsByUser.TryGetValue(user, out var c)) c.TryRemove(connectionId, out _);
    }

    /// <summary>Aborts the connection (the client sees its transport close); false when no such connection is open.</summary>
    public bool Close(string connectionId)
    {
        if (!_connections.TryGetValue(connectionId, out var context)) return false;
        context.Abort();
        return true;
    }

    public int CloseAll(string user)
    {
        var closed = 0;
        if (_connectionsByUser.TryGetValue(user, out var connections))
            foreach (var context in connections.Values) { context.Abort(); closed++; }
        return closed;
    }
}

/// <summary>
/// The serverless upstream as the service calls it (docs/ARCHITECTURE.md, "Live connections"): on each connect and
/// disconnect, a POST to the URL template (setting <c>LocalSignalR:UpstreamUrlTemplate</c>, with <c>{hub}</c>,
/// <c>{category}</c> and <c>{event}</c>) carrying the <c>X-ASRS-*</c> headers and the access key's signature of the
/// connection id, as configured in infra/modules/signalr.bicep. A non-2xx answer to <c>connected</c> refuses the
/// connection; an upstream that cannot be reached is logged and the connection kept, since the service's connection
/// events are notifications.
/// </summary>
public sealed class LocalUpstream(IHttpClientFactory clients, IConfiguration configuration, SignalRConnection connection, ILogger<LocalUpstream> logger)
{
    public const string TemplateSetting = "LocalSignalR:UpstreamUrlTemplate";
    public const string HttpClientName = "signalr-upstream";

    public async Task<bool> ConnectedAsync(HubCallerContext context)
    {
        try
        {
            using var response = await SendAsync(context, "connected", context.ConnectionAborted);
            if (response is null || response.IsSuccessStatusCode) return true;
            logger.LogInformation("The upstream refused connection {ConnectionId} with {Status}", context.ConnectionId, (int)response.StatusCode);
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("The upstream could not be reached for connection {ConnectionId}: {Error}", context.ConnectionId, e.Message);
            return true;
        }
    }

    /// <summary>The connection has closed; its answer changes nothing.</summary>
    public async Task DisconnectedAsync(HubCallerContext context)
    {
        try
        {
            using var _ = await SendAsync(context, "disconnected", CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("The upstream could not be told of the close of {ConnectionId}: {Error}", context.ConnectionId, e.Message);
        }
    }

    private async Task<HttpResponseMessage?> SendAsync(HubCallerContext context, string connectionEvent, CancellationToken ct)
    {
        if (configuration[TemplateSetting] is not { Length: > 0 } template) return null;
        var url = template.Replace("{hub}", SignalRConnection.Hub, StringComparison.Ordinal)
            .Replace("{category}", "connections", StringComparison.Ordinal).Replace("{event}", connectionEvent, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(UpstreamProtocol.ConnectionIdHeader, context.ConnectionId);
        request.Headers.Add(UpstreamProtocol.HubHeader, SignalRConnection.Hub);
        request.Headers.Add(UpstreamProtocol.CategoryHeader, "connections");
        request.Headers.Add(UpstreamProtocol.EventHeader, connectionEvent);
        if (context.UserIdentifier is { } user) request.Headers.Add(UpstreamProtocol.UserIdHeader, user);
        request.Headers.Add(UpstreamProtocol.UserClaimsHeader, string.Join(", ", context.User?.Claims.Select(c => $"{c.Type}: {c.Value}") ?? []));
        request.Headers.Add(UpstreamProtocol.SignatureHeader, UpstreamProtocol.Sign(connection.AccessKey, context.ConnectionId));
        return await clients.CreateClient(HttpClientName).SendAsync(request, ct);
    }
}

/// <summary>
/// The parts of the SignalR Service protocol PulseStream uses (AZURE.md), served by the local host under
/// <c>/signalr</c>: the client endpoint (negotiate + connections, access-token auth with the access key, audience =
/// the client URL), the upstream call on connect, and REST v1 send-to-group, send-to-all, send-to-user, group
/// membership, remove-user-from-all-groups and close-connection, plus the 2022-06-01 close-all-of-a-user
/// (audience = the request URL).
/// </summary>
public static class LocalSignalRService
{
    public const string Scheme = "SignalRServiceClient";
    public const string BasePath = "/signalr";

    public static IServiceCollection AddLocalSignalRService(this IServiceCollection services)
    {
        services.AddSignalR();
        services.AddSingleton<UserGroups>();
        services.AddSingleton<IUserIdProvider, NameIdUserIdProvider>();
        services.AddSingleton<LocalUpstream>();
        services.AddHttpClient(LocalUpstream.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddAuthentication()
            .AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme).Configure<SignalRTokens, SignalRConnection>((options, tokens, connection) =>
        {
            // Claims keep their JWT names (nameid, pulse.tid), as the service hands them to the upstream.
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = false,
                ValidAudience = connection.ClientUrl,
                IssuerSigningKey = tokens.Key,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            options.Events = new JwtBearerEvents
            {
                // WebSockets and SSE cannot send headers from browsers: the token comes in the query string.
                OnMessageReceived = context =>
                {
                    if (context.Request.Query["access_token"].FirstOrDefault() is { Length: > 0 } token) context.Token = token;
                    return Task.CompletedTask;
                },
            };
        });
        services.AddAuthorization();
        return services;
    }

    public static void MapLocalSignalRService(this WebApplication app)
    {
        app.MapHub<ServiceHub>($"{BasePath}/client");
        var rest = app.MapGroup($"{BasePath}/api/v1/hubs/{{hub}}");
        rest.MapPost("", (string hub, HttpContext context, IHubContext<ServiceHub> hubContext) =>
            Authorized(context, async () =>
            {
                var message = await Message(context);
                await hubContext.Clients.All.SendCoreAsync(message.Target, message.Arguments);
            }));
        rest.MapPost("/groups/{group}", (string hub, string group, HttpContext context, IHubContext<ServiceHub> hubContext) =>
            Authorized(context, async () =>
            {
                var message = await Message(context);
                await hubContext.Clients.Group(group).SendCoreAsync(message.Target, message.Arguments);
            }));
        rest.MapPost("/users/{user}", (string hub, string user, HttpContext context, IHubContext<ServiceHub> hubContext) =>
            Authorized(context, async () =>
            {
                var message = await Message(context);
                await hubContext.Clients.User(user).SendCoreAsync(message.Target, message.Arguments);
            }));
        rest.MapPut("/groups/{group}/users/{user}", (string hub, string group, string user, HttpContext context, IHubContext<ServiceHub> hubContext, UserGroups groups) =>
            Authorized(context, async () =>
            {
                groups.AddToGroup(user, group);
                foreach (var connection in groups.ConnectionsOf(user)) await hubContext.Groups.AddToGroupAsync(connection, group);
            }));
        rest.MapDelete("/groups/{group}/users/{user}", (string hub, string group, string user, HttpContext context, IHubContext<ServiceHub> hubContext, UserGroups groups) =>
            Authorized(context, async () =>
            {
                groups.RemoveFromGroup(user, group);
                foreach (var connection in groups.ConnectionsOf(user)) await hubContext.Groups.RemoveFromGroupAsync(connection, group);
            }));
        rest.MapDelete("/users/{user}/groups", (string hub, string user, HttpContext context, IHubContext<ServiceHub> hubContext, UserGroups groups) =>
            Authorized(context, async () =>
            {
                var left = groups.RemoveFromAllGroups(user);
                foreach (var connection in groups.ConnectionsOf(user))
                foreach (var group in left)
                    await hubContext.Groups.RemoveFromGroupAsync(connection, group);
            }));
        rest.MapDelete("/connections/{connectionId}", (string hub, string connectionId, HttpContext context, UserGroups groups) =>
            Authorized(context, () => { groups.Close(connectionId); return Task.CompletedTask; }));

        // The 2022-06-01 API (no v1 equivalent): close every connection of a user.
        var rest2022 = app.MapGroup($"{BasePath}/api/hubs/{{hub}}");
        rest2022.MapPost("/users/{user}/:closeConnections", (string hub, string user, HttpContext context, UserGroups groups) =>
            Authorized(context, () => { groups.CloseAll(user); return Task.CompletedTask; }, StatusCodes.Status204NoContent));
    }

    private sealed record ServiceMessage(string Target, object?[] Arguments);

    private static async Task<ServiceMessage> Message(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = document.RootElement;
        var arguments = root.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => (object?)x.Clone()).ToArray()
            : [];
        return new ServiceMessage(root.GetProperty("target").GetString()!, arguments);
    }

    /// <summary>Checks the REST call's bearer token: signed with the access key, audience = the request URL.</summary>
    private static async Task<IResult> Authorized(HttpContext context, Func<Task> action, int success = StatusCodes.Status202Accepted)
    {
        var connection = context.RequestServices.GetRequiredService<SignalRConnection>();
        var tokens = context.RequestServices.GetRequiredService<SignalRTokens>();
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return Results.Unauthorized();
        var path = context.Request.Path.Value![BasePath.Length..];
        var (_, audience) = connection.Rest(path);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(header["Bearer ".Length..], new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidAudience = audience,
            IssuerSigningKey = tokens.Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        if (!result.IsValid) return Results.Unauthorized();
        await action();
        return Results.StatusCode(success);
    }
}
