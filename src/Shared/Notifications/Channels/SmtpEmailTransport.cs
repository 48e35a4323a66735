using System.Diagnostics;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// E-mail over SMTP with MailKit: one connection per message (notifications are rare; a pooled connection would
/// only go stale), STARTTLS or implicit TLS unless told otherwise, authentication when a user is set. A 5xx reply
/// (recipient, sender or message refused) is permanent; 4xx replies and network failures are worth retrying.
/// </summary>
public sealed class SmtpEmailTransport(IOptions<EmailOptions> options) : IEmailTransport
{
    public async Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct)
    {
        var settings = options.Value;
        var clock = Stopwatch.StartNew();
        using var client = new SmtpClient { Timeout = 15_000 };
        try
        {
            var security = settings.Smtp.Security.ToLowerInvariant() switch
            {
                "none" => SecureSocketOptions.None,
                "tls" => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(settings.Smtp.Host ?? "localhost", settings.Smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(settings.Smtp.Username)) await client.AuthenticateAsync(settings.Smtp.Username, settings.Smtp.Password ?? "", ct);
            var reply = await client.SendAsync(ToMime(message, settings), ct);
            await client.DisconnectAsync(quit: true, ct);
            return SendOutcome.Success(ReplyCode(reply) ?? 250, clock.Elapsed);
        }
        catch (SmtpCommandException e)
        {
            var code = (int)e.StatusCode;
            return SendOutcome.Failure($"The SMTP server refused the message: {code} {e.Message}", clock.Elapsed, code, permanent: code >= 500);
        }
        catch (Exception e) when (e is SmtpProtocolException or ServiceNotConnectedException or AuthenticationException or IOException or System.Net.Sockets.SocketException
            or SslHandshakeException or TimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return SendOutcome.Failure($"Could not send through the SMTP server: {e.Message}", clock.Elapsed);
        }
    }

    public static MimeMessage ToMime(EmailMessage message, EmailOptions settings)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(settings.FromName, settings.From));
        foreach (var to in message.To) mime.To.Add(MailboxAddress.Parse(to));
        mime.Subject = message.Subject;
        mime.Body = new BodyBuilder { TextBody = message.PlainText, HtmlBody = message.Html }.ToMessageBody();
        return mime;
    }

    // MailKit returns the server's final reply text, e.g. "2.0.0 Ok: queued as ..." or "250 ...".
    private static int? ReplyCode(string reply) => reply.Length >= 3 && int.TryParse(reply.AsSpan(0, 3), out var code) && code is >= 200 and < 600 ? code : null;
}
