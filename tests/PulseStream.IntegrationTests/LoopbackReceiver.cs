using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A webhook receiver of the test's own on 127.0.0.1, outside the host: each request is recorded, then answered by
/// the test's behaviour (given the request's number, from 1), which may wait, fail or never answer.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    /// <summary>One request as it arrived; <see cref="AnsweredWith"/> is the status sent back, null while unanswered or when the caller went away.</summary>
    public sealed class Received(int number, string deliveryId, string webhookId, byte[] body)
    {
        public int Number { get; } = number;
        public string DeliveryId { get; } = deliveryId;
        public string WebhookId { get; } = webhookId;
        public byte[] Body { get; } = body;
        public int? AnsweredWith { get; set; }
    }

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _requests = new();
    private int _count;

    private LoopbackReceiver(WebApplication app, Uri url) { _app = app; Url = url; }

    public Uri Url { get; }
    public IReadOnlyList<Received> Requests => _requests.ToArray();
    /// <summary>Requests answered with a 2xx: what the receiver actually accepted.</summary>
    public IReadOnlyList<Received> Accepted => _requests.Where(r => r.AnsweredWith is >= 200 and < 300).ToArray();

    public static async Task<LoopbackReceiver> StartAsync(Func<int, HttpContext, Task<int>> answer)
    {
        var port = TestEnvironment.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app, new Uri($"http://127.0.0.1:{port}/hook"));
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var received = new Received(Interlocked.Increment(ref receiver._count), context.Request.Headers["X-PulseStream-Delivery"].ToString(),
                context.Request.Headers["webhook-id"].ToString(), buffer.ToArray());
            receiver._requests.Enqueue(received);
            var status = await answer(received.Number, context);
            context.RequestAborted.ThrowIfCancellationRequested();
            context.Response.StatusCode = status;
            await context.Response.CompleteAsync();
            received.AnsweredWith = status;
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits for the caller to go away (a receiver that never answers).</summary>
    public static async Task<int> NeverAnswer(HttpContext context)
    {
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
        return 500;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
