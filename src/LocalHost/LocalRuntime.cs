using System.Reflection;
using PulseStream.Functions.Alerts;
using PulseStream.Functions.Ingest;
using PulseStream.Functions.Realtime;
using PulseStream.LocalHost.Demo;
using PulseStream.LocalHost.Functions;
using PulseStream.LocalHost.SignalRService;
using PulseStream.Messaging;
using PulseStream.Tenancy;

namespace PulseStream.LocalHost;

/// <summary>The local runtime's wiring: event log instead of Event Hubs, function bindings, SignalR surface, demo.</summary>
public static class LocalRuntime
{
    public static readonly Assembly[] AppAssemblies =
        [typeof(IngestFunctions).Assembly, typeof(AlertHttpFunctions).Assembly, typeof(RealtimeFunctions).Assembly];

    public static WebApplicationBuilder AddLocalRuntime(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton(sp => new LocalEventLog(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            configuration.GetValue("Pulse:Partitions", LocalEventLog.DefaultPartitionCount), sp.GetRequiredService<ILogger<LocalEventLog>>()));
        // The local log replaces Event Hubs behind the one publishing interface.
        services.AddSingleton<IEventPublisher>(sp => new LocalEventLogPublisher(sp.GetRequiredService<LocalEventLog>(),
            configuration[EventHubNames.HubSetting] ?? EventHubNames.DefaultHub));

        services.AddMvcCore(); // executors for IActionResult types such as FileContentResult
        services.AddSingleton(new FunctionCatalog(AppAssemblies));
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<TenantProvisioner>();
        services.AddSingleton<WebhookSink>();
        services.AddSingleton<FormatSink>();
        services.AddSingleton<LocalMailServer>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalMailServer>());
        services.AddSingleton<DemoSeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoSeeder>());
        services.AddHostedService<TimerFunctionService>();
        services.AddHostedService<EventHubFunctionService>();
        services.AddHostedService<StartupBanner>();
        if (configuration.GetValue<bool>("Pulse:DemoTraffic")) services.AddHostedService<DemoTraffic>();
        if (configuration.GetValue<bool>(PipelineStagesLog.Setting)) services.AddHostedService<PipelineStagesLog>();
        services.AddLocalSignalRService();
        return builder;
    }

    public static void MapLocalRuntime(this WebApplication app)
    {
        // First, so that routing and authentication are inside it too (called here, they are not added before it).
        app.UseMiddleware<ErrorResponseMiddleware>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/", () => Results.Redirect("/dashboard/"));
        app.MapLocalSignalRService();
        var sink = app.Services.GetRequiredService<WebhookSink>();
        app.MapPost(WebhookSink.Path, (Delegate)((HttpContext context) => sink.ReceiveAsync(context)));
        app.MapGet(WebhookSink.Path, sink.List);
        var formatSink = app.Services.GetRequiredService<FormatSink>();
        app.MapPost(FormatSink.Path + "/{service}", (Delegate)((HttpContext context, string service) => formatSink.ReceiveAsync(context, service)));
        app.MapGet(FormatSink.Path, formatSink.List);
        var mail = app.Services.GetRequiredService<LocalMailServer>();
        app.MapGet(LocalMailServer.Path, mail.List);
        app.MapGet(LocalMailServer.Path + "/{number:int}", (int number, HttpContext context) => mail.Show(number, context));
        // The benchmark's bare endpoint: reads and discards a body, the HTTP ceiling that ingest is compared with.
        app.MapPost("/local/discard", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        });
        app.MapHttpFunctions();
    }
}

/// <summary>Prints where to go and how to log in once the host listens.</summary>
public sealed class StartupBanner(IHostApplicationLifetime lifetime, DemoSeeder seeder, LocalHostPaths paths, IConfiguration configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var demo = seeder.Demo;
            Console.WriteLine();
            Console.WriteLine("  PulseStream is running.");
            Console.WriteLine($"  Dashboard:  {paths.BaseUrl}dashboard/");
            if (demo is not null)
            {
                Console.WriteLine($"  Login:      {demo.Email} / {demo.Password}");
                Console.WriteLine($"  API key:    {demo.ApiKey}");
                Console.WriteLine($"  Send one:   curl -X POST {paths.BaseUrl}api/v1/events -H 'X-Api-Key: {demo.ApiKey}' -H 'Content-Type: application/json' \\");
                Console.WriteLine($"                -d '{{\"timestamp\":\"'$(date -u +%FT%TZ)'\",\"method\":\"GET\",\"path\":\"/v1/hello\",\"statusCode\":200,\"latencyMs\":12}}'");
                Console.WriteLine($"  (also in {Path.Combine(paths.StateDir, "demo.json")})");
            }
            Console.WriteLine($"  Local sinks: webhooks {paths.BaseUrl}{WebhookSink.Path.TrimStart('/')}, Slack/Teams/PagerDuty {paths.BaseUrl}{FormatSink.Path.TrimStart('/')},");
            Console.WriteLine($"               e-mail (SMTP on 127.0.0.1:{configuration[LocalMailServer.PortSetting]}) {paths.BaseUrl}{LocalMailServer.Path.TrimStart('/')}");
            if (configuration.GetValue<bool>("Pulse:DemoTraffic")) Console.WriteLine("  Demo traffic: on (an error burst starts in 20 s and fires the demo alert).");
            Console.WriteLine("  Stop with Ctrl-C.");
            Console.WriteLine();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
