using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// E-mail through the Azure Communication Services Email REST API (<c>POST {endpoint}/emails:send?api-version=2023-03-31</c>),
/// each request signed with HMAC-SHA256 as the service requires: the string
/// <c>{METHOD}\n{path and query}\n{x-ms-date};{host};{x-ms-content-sha256}</c> keyed with the base64-decoded access key, in
/// <c>Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&amp;Signature=…</c>. The service
/// answers 202 with <c>Operation-Location</c> once it has accepted the message; the transport then polls that
/// operation (signed GETs, waiting what <c>retry-after</c> asks, for at most <see cref="MaxPolling"/>) until it is
/// <c>Succeeded</c>, <c>Failed</c> or <c>Canceled</c>, and the outcome carries that final status.
/// </summary>
public sealed class AcsEmailTransport(ChannelHttp http, IOptions<EmailOptions> options, TimeProvider time) : IEmailTransport
{
    public const string ApiVersion = "2023-03-31";

    /// <summary>The longest the transport polls an accepted message's operation before it stops asking.</summary>
    public static readonly TimeSpan MaxPolling = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan DefaultPollDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromSeconds(10);

    public async Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.Acs.Endpoint) || string.IsNullOrEmpty(settings.Acs.AccessKey))
            return SendOutcome.Failure("The ACS e-mail transport needs Email__Acs__Endpoint and Email__Acs__AccessKey.", TimeSpan.Zero, permanent: true);
        var clock = Stopwatch.StartNew();
        var key = Convert.FromBase64String(settings.Acs.AccessKey);
        var uri = new Uri($"{settings.Acs.Endpoint.TrimEnd('/')}/emails:send?api-version={ApiVersion}");
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            senderAddress = settings.From,
            recipients = new { to = message.To.Select(address => new { address }) },
            content = new { subject = message.Subject, plainText = message.PlainText, html = message.Html },
        });
        var headers = Sign(uri, body, time.GetUtcNow(), key);
        var response = await http.PostAsync(uri.ToString(), ChannelHttp.Json(body), request =>
        {
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        }, ct);
        if (!response.Outcome.Delivered) return response.Outcome;
        var accepted = response.Outcome.StatusCode;

        // Only an operation on the configured endpoint is polled: a signed request goes nowhere else.
        if (response.Header("Operation-Location") is not { } location || !Uri.TryCreate(location, UriKind.Absolute, out var operation)
            || !string.Equals(operation.GetLeftPart(UriPartial.Authority), uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
            return response.Outcome with { Detail = "Accepted; no Operation-Location on the endpoint to follow." };
        return await PollAsync(operation, key, accepted, RetryAfter(response), clock, ct);
    }

    /// <summary>
    /// Follows the accepted message's operation to its final status. A message ACS accepted counts as delivered unless
    /// it ends <c>Failed</c> or <c>Canceled</c>: when polling stops first (after <see cref="MaxPolling"/>, or when the
    /// attempt's own time runs out), sending it again could deliver it twice, so the outcome says the status is unknown.
    /// </summary>
    private async Task<SendOutcome> PollAsync(Uri operation, byte[] key, int? accepted, TimeSpan wait, Stopwatch clock, CancellationToken ct)
    {
        var lastStatus = "Running";
        var deadline = clock.Elapsed + MaxPolling;
        try
        {
            while (clock.Elapsed + wait <= deadline)
            {
                await Task.Delay(wait, time, ct);
                var headers = Sign("GET", operation, [], time.GetUtcNow(), key);
                var poll = await http.GetAsync(operation.ToString(), request =>
                {
                    foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
                }, ct);
                wait = RetryAfter(poll);
                if (!poll.Outcome.Delivered) continue; // a failed poll says nothing about the message: ask again
                var (status, error) = ReadStatus(poll.Body);
                lastStatus = status ?? lastStatus;
                switch (status)
                {
                    case "Succeeded":
                        return SendOutcome.Success(accepted, clock.Elapsed) with { Detail = "Succeeded" };
                    case "Failed" or "Canceled":
                        return SendOutcome.Failure($"ACS reported the e-mail {status}{(error is null ? "." : $": {error}")}", clock.Elapsed, accepted, permanent: true)
                            with { Detail = status };
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The attempt's time ran out (or the host is stopping) after ACS accepted the message: it is not sent again.
            return SendOutcome.Success(accepted, clock.Elapsed) with { Detail = $"Unknown: still {lastStatus} when polling stopped." };
        }
        return SendOutcome.Success(accepted, clock.Elapsed) with { Detail = $"Unknown: still {lastStatus} after {MaxPolling.TotalSeconds:0} s of polling." };
    }

    private static (string? Status, string? Error) ReadStatus(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            string? error = null;
            if (root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
                error = string.Join(" ", new[] { "code", "message" }
                    .Select(name => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                    .Where(v => !string.IsNullOrEmpty(v)));
            return (status, string.IsNullOrEmpty(error) ? null : error.Length > 300 ? error[..300] : error);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>What <c>retry-after</c> (seconds) asks, within 1 to 10 s; 1 s when it says nothing.</summary>
    private static TimeSpan RetryAfter(ChannelHttp.Response response) =>
        response.Header("retry-after") is { } value && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 1, (int)MaxPollDelay.TotalSeconds))
            : DefaultPollDelay;

    /// <summary>The three headers of a signed POST: <c>x-ms-date</c>, <c>x-ms-content-sha256</c> and <c>Authorization</c>.</summary>
    public static IReadOnlyList<(string Name, string Value)> Sign(Uri uri, byte[] body, DateTimeOffset now, byte[] key) => Sign("POST", uri, body, now, key);

    /// <summary>The three headers of a signed request of the given method.</summary>
    public static IReadOnlyList<(string Name, string Value)> Sign(string method, Uri uri, byte[] body, DateTimeOffset now, byte[] key)
    {
        var date = now.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        var stringToSign = $"{method}\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return
        [
            ("x-ms-date", date),
            ("x-ms-content-sha256", contentHash),
            ("Authorization", $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"),
        ];
    }
}
