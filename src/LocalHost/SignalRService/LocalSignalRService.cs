using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.SignalR;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PulseStream.Realtime;

namespace PulseStream.LocalHost.SignalRService;

/// <summary>The service-side hub clients connect to. Clients only listen; the app sends through the REST API.</summary>
[Microsoft.AspNetCore.Authorization.Authorize(AuthenticationSchemes = LocalSignalRService.Scheme)]
public sealed class ServiceHub(UserGroups groups) : Hub
{
    public override async Task OnConnectedAsync()
    {
        if (Context.UserIdentifier is { } user)
        {
            groups.Connected(user, Context.ConnectionId);
            foreach (var group in groups.GroupsOf(user)) await Groups.AddToGroupAsync(Context.ConnectionId, group);
        }
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.UserIdentifier is { } user) groups.Disconnected(user, Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// User-to-group membership as SignalR Service keeps it: a user added to a group has all their connections in it,
/// present and future.
/// </summary>
public sealed class UserGroups
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _groupsByUser = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _connectionsByUser = new();

    public IEnumerable<string> GroupsOf(string user) => _groupsByUser.TryGetValue(user, out var g) ? g.Keys : [];
    public IEnumerable<string> ConnectionsOf(string user) => _connectionsByUser.TryGetValue(user, out var c) ? c.Keys : [];
    public int ConnectionCount => _connectionsByUser.Values.Sum(c => c.Count);

    public void AddToGroup(string user, string group) => _groupsByUser.GetOrAdd(user, _ => new())[group] = true;
    public void RemoveFromGroup(string user, string group) { if (_groupsByUser.TryGetValue(user, out var g)) g.TryRemove(group, out _); }
    public void Connected(string user, string connectionId) => _connectionsByUser.GetOrAdd(user, _ => new())[connectionId] = true;
    public void Disconnected(string user, string connectionId) { if (_connectionsByUser.TryGetValue(user, out var c)) c.TryRemove(connectionId, out _); }
}

/// <summary>
/// The parts of the SignalR Service protocol PulseStream uses (AZURE.md), served by the local host under
/// <c>/signalr</c>: the client endpoint (negotiate + connections, access-token auth with the access key, audience =
/// the client URL) and REST v1 send-to-group, send-to-all, send-to-user and group membership (audience = the
/// request URL).
/// </summary>
public static class LocalSignalRService
{
    public const string Scheme = "SignalRServiceClient";
    public const string BasePath = "/signalr";

    public static IServiceCollection AddLocalSignalRService(this IServiceCollection services)
    {
        services.AddSignalR();
        services.AddSingleton<UserGroups>();
        services.AddAuthentication()
            .AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme).Configure<SignalRTokens, SignalRConnection>((options, tokens, connection) =>
        {
            options.MapInboundClaims = true;
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
    private static async Task<IResult> Authorized(HttpContext context, Func<Task> action)
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
        return Results.Accepted();
    }
}
