using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using PulseStream.Realtime;

namespace PulseStream.UnitTests;

/// <summary>A live message is best effort: whatever the SignalR Service does, the caller's request or batch goes on.</summary>
public sealed class RealtimePublisherFailureTests
{
    private sealed class Failing(Func<Exception?> fail, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return fail() is { } e ? Task.FromException<HttpResponseMessage>(e) : Task.FromResult(new HttpResponseMessage(status));
        }
    }

    private static SignalRRestPublisher Publisher(HttpMessageHandler handler)
    {
        var connection = SignalRConnection.Parse("Endpoint=http://127.0.0.1:1;AccessKey=" + Convert.ToBase64String(new byte[32]) + ";Version=1.0;");
        return new SignalRRestPublisher(new HttpClient(handler), connection, new SignalRTokens(connection, TimeProvider.System), NullLogger<SignalRRestPublisher>.Instance);
    }

    public static TheoryData<string> Failures => new() { "timeout", "refused", "500", "bug" };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_send_that_times_out_is_refused_answers_an_error_or_throws_anything_else_returns_normally(string failure)
    {
        var handler = new Failing(() => failure switch
        {
            // HttpClient's own timeout surfaces as a TaskCanceledException wrapping a TimeoutException.
            "timeout" => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()),
            "refused" => new HttpRequestException("Connection refused"),
            "bug" => new InvalidOperationException("something unexpected"),
            _ => null,
        }, HttpStatusCode.InternalServerError);

        await Publisher(handler).SendToTenantAsync(Guid.NewGuid(), RealtimeTargets.Events, new[] { 1 }, CancellationToken.None);

        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task A_send_the_caller_cancels_is_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var handler = new Failing(() => new TaskCanceledException());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Publisher(handler).SendToTenantAsync(Guid.NewGuid(), RealtimeTargets.Metrics, new { }, cancelled.Token));
    }
}
