using System.Diagnostics;
using System.Net.Http.Headers;

namespace PulseStream.Notifications.Channels;

/// <summary>
/// One request (a POST; a GET for a status) to a receiver through the guarded client (<see cref="OutboundHttp"/>): times it, reads at most
/// <see cref="MaxResponseBytes"/> of the answer, and turns what happened into a <see cref="SendOutcome"/>. A redirect is a
/// failure (none is followed); 400, 401, 403, 404, 410, 413 and 422 are permanent (the request or the target is wrong,
/// retrying the same thing cannot help); 408, 429 and 5xx, timeouts and refused connections are worth retrying.
/// </summary>
public sealed class ChannelHttp(IHttpClientFactory clients)
{
    public const string ClientName = "channels";
    public const int MaxResponseBytes = 16 * 1024;

    /// <summary>What the receiver answered: the outcome, at most <see cref="MaxResponseBytes"/> of the body, and the first value of each header.</summary>
    public sealed record Response(SendOutcome Outcome, string Body, IReadOnlyDictionary<string, string>? Headers = null)
    {
        public string? Header(string name) => Headers is not null && Headers.TryGetValue(name, out var value) ? value : null;
    }

    public Task<Response> PostAsync(string url, HttpContent content, Action<HttpRequestMessage>? prepare, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, url, content, prepare, ct);

    /// <summary>A GET through the same guard (an operation's status, as ACS e-mail answers it).</summary>
    public Task<Response> GetAsync(string url, Action<HttpRequestMessage>? prepare, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, url, null, prepare, ct);

    private async Task<Response> SendAsync(HttpMethod method, string url, HttpContent? content, Action<HttpRequestMessage>? prepare, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(method, url) { Content = content };
            request.Headers.UserAgent.ParseAdd("PulseStream-Notifications/1.0");
            prepare?.Invoke(request);
            using var client = clients.CreateClient(ClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var body = await ReadBoundedAsync(response.Content, ct);
            var status = (int)response.StatusCode;
            var headers = response.Headers.ToDictionary(h => h.Key, h => h.Value.FirstOrDefault() ?? "", StringComparer.OrdinalIgnoreCase);
            if (response.IsSuccessStatusCode) return new(SendOutcome.Success(status, clock.Elapsed), body, headers);
            if (status is >= 300 and < 400)
                return new(SendOutcome.Failure($"The receiver answered {status} (a redirect); redirects are not followed.", clock.Elapsed, status, permanent: true), body);
            var permanent = status is 400 or 401 or 403 or 404 or 410 or 413 or 422;
            return new(SendOutcome.Failure($"The receiver answered {status}.", clock.Elapsed, status, permanent), body);
        }
        catch (OutboundTargetRefusedException e)
        {
            return new(SendOutcome.Failure(e.Message, clock.Elapsed, permanent: true), "");
        }
        catch (HttpRequestException e) when (e.InnerException is OutboundTargetRefusedException refused)
        {
            // A target that resolves to a refused address is wrong or hostile: trying again cannot make it safe.
            return new(SendOutcome.Failure(refused.Message, clock.Elapsed, permanent: true), "");
        }
        catch (HttpRequestException e)
        {
            return new(SendOutcome.Failure($"Could not reach the receiver: {e.Message}", clock.Elapsed), "");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(SendOutcome.Failure("The receiver did not answer in time.", clock.Elapsed), "");
        }
    }

    public static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxResponseBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }
}
