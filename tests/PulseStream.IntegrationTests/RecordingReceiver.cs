using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>One request a <see cref="RecordingReceiver"/> received.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : "";
}

/// <summary>A real HTTP receiver on loopback, outside the host: records every request and answers as told.</summary>
public sealed class RecordingReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();
    public int Port { get; } = TestEnvironment.FreePort();
    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    private RecordingReceiver(Func<ReceivedRequest, HttpContext, Task<IResult>> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var request = new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), buffer.ToArray());
            Received.Enqueue(request);
            await (await answer(request, context)).ExecuteAsync(context);
        });
    }

    public static async Task<RecordingReceiver> StartAsync(Func<ReceivedRequest, HttpContext, Task<IResult>>? answer = null)
    {
        var receiver = new RecordingReceiver(answer ?? ((_, _) => Task.FromResult(Results.NoContent())));
        await receiver._app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
