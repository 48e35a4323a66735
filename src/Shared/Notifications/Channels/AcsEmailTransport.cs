using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// E-mail through the Azure Communication Services Email REST API (<c>POST {endpoint}/emails:send?api-version=2023-03-31</c>),
/// each request signed with HMAC-SHA256 as the service requires: the string
/// <c>POST\n{path and query}\n{x-ms-date};{host};{x-ms-content-sha256}</c> keyed with the base64-decoded access key, in
/// <c>Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=…</c>. The service
/// answers 202 with <c>Operation-Location</c> once it has accepted the message; that is a delivery here.
/// </summary>
public sealed class AcsEmailTransport(ChannelHttp http, IOptions<EmailOptions> options, TimeProvider time) : IEmailTransport
{
    public const string ApiVersion = "2023-03-31";

    public async Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.Acs.Endpoint) || string.IsNullOrEmpty(settings.Acs.AccessKey))
            return SendOutcome.Failure("The ACS e-mail transport needs Email__Acs__Endpoint and Email__Acs__AccessKey.", TimeSpan.Zero, permanent: true);
        var uri = new Uri($"{settings.Acs.Endpoint.TrimEnd('/')}/emails:send?api-version={ApiVersion}");
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            senderAddress = settings.From,
            recipients = new { to = message.To.Select(address => new { address }) },
            content = new { subject = message.Subject, plainText = message.PlainText, html = message.Html },
        });
        var headers = Sign(uri, body, time.GetUtcNow(), Convert.FromBase64String(settings.Acs.AccessKey));
        var response = await http.PostAsync(uri.ToString(), ChannelHttp.Json(body), request =>
        {
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        }, ct);
        return response.Outcome;
    }

    /// <summary>The three headers of a signed request: <c>x-ms-date</c>, <c>x-ms-content-sha256</c> and <c>Authorization</c>.</summary>
    public static IReadOnlyList<(string Name, string Value)> Sign(Uri uri, byte[] body, DateTimeOffset now, byte[] key)
    {
        var date = now.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        var stringToSign = $"POST\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return
        [
            ("x-ms-date", date),
            ("x-ms-content-sha256", contentHash),
            ("Authorization", $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"),
        ];
    }
}
