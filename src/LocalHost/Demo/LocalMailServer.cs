using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace PulseStream.LocalHost.Demo;

/// <summary>One e-mail the local SMTP server received, parsed.</summary>
public sealed record ReceivedMail(int Number, DateTimeOffset ReceivedAt, string From, IReadOnlyList<string> To, string Subject, string? Text, string? Html);

/// <summary>
/// A real SMTP server inside the local host (the SmtpServer package), on loopback at <c>LocalSmtp:Port</c>: the
/// local host's e-mail transport sends to it through MailKit, as it would to any relay. It keeps the last 100
/// messages; a person reads them at <c>/local/mail</c> (a list, each message's HTML at <c>/local/mail/{n}</c>).
/// </summary>
public sealed class LocalMailServer(IConfiguration configuration, TimeProvider time, ILogger<LocalMailServer> logger) : MessageStore, IHostedService
{
    public const string Path = "/local/mail";
    public const string PortSetting = "LocalSmtp:Port";
    private readonly ConcurrentQueue<ReceivedMail> _received = new();
    private int _count;
    private SmtpServer.SmtpServer? _server;
    private Task? _running;
    private readonly CancellationTokenSource _stopping = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var port = configuration.GetValue<int>(PortSetting);
        if (port <= 0) return Task.CompletedTask;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("pulsestream.local")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .MaxMessageSize(1024 * 1024)
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(this);
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stopping.Token);
        logger.LogInformation("Local SMTP server listening on 127.0.0.1:{Port}", port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null || _running is null) return;
        await _stopping.CancelAsync();
        _server.Shutdown();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
    }

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(buffer.ToArray());
        var message = await MimeMessage.LoadAsync(stream, cancellationToken);
        var mail = new ReceivedMail(Interlocked.Increment(ref _count), time.GetUtcNow(), message.From.ToString(),
            transaction.To.Select(t => $"{t.User}@{t.Host}").ToList(), message.Subject ?? "", message.TextBody, message.HtmlBody);
        _received.Enqueue(mail);
        while (_received.Count > 100) _received.TryDequeue(out _);
        logger.LogInformation("Mail {Number} received for {Recipients}: {Subject}", mail.Number, string.Join(", ", mail.To), mail.Subject);
        return SmtpResponse.Ok;
    }

    public IResult List() => Results.Json(_received.Reverse().Select(m => new { m.Number, m.ReceivedAt, m.From, m.To, m.Subject, m.Text, html = $"{Path}/{m.Number}" }));

    /// <summary>A message's HTML body, sandboxed: it renders in an origin of its own, without scripts, so mail cannot reach the dashboard's session.</summary>
    public IResult Show(int number, HttpContext context)
    {
        var mail = _received.FirstOrDefault(m => m.Number == number);
        if (mail is null) return Results.NotFound();
        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
        return mail.Html is not null ? Results.Content(mail.Html, "text/html; charset=utf-8") : Results.Text(mail.Text ?? "", "text/plain; charset=utf-8");
    }
}
