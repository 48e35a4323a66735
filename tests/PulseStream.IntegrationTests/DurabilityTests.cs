using System.Net;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>Nothing acknowledged is lost when the host dies mid-stream, and nothing is applied twice.</summary>
public class DurabilityTests : IAsyncLifetime
{
    private LocalHostProcess _host = null!;

    public async Task InitializeAsync() => _host = await LocalHostProcess.StartAsync("pulse_dur");
    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Killing_and_restarting_the_host_mid_stream_loses_no_accepted_event()
    {
        var accepted = 0;
        var batch = 0;
        async Task SendUntilAcceptedAsync(int batchNumber)
        {
            // A client that retries the same batch (same event ids) until it is accepted, as the contract asks.
            var events = Enumerable.Range(0, 50).Select(i => Payloads.Event("/v1/durable", 200, 5, eventId: $"b{batchNumber}-{i}")).ToList();
            while (true)
            {
                try
                {
                    using var response = await _host.Http.SendAsync(_host.Ingest("api/v1/events/batch", Payloads.Batch(events)));
                    if (response.StatusCode == HttpStatusCode.Accepted) { accepted += events.Count; return; }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
                await Task.Delay(100);
            }
        }

        // Sends for 12 s and until the restarted host accepted 5 batches of its own (a loaded machine restarts slowly;
        // the test is about what is accepted being stored, not about how much is), for at most 2 minutes.
        var restarted = false;
        var acceptedBeforeRestart = int.MaxValue;
        var stopSending = DateTime.UtcNow.AddSeconds(12);
        var giveUp = DateTime.UtcNow.AddMinutes(2);
        var sender = Task.Run(async () =>
        {
            while (DateTime.UtcNow < giveUp && (DateTime.UtcNow < stopSending || !restarted || accepted < acceptedBeforeRestart + 250))
                await SendUntilAcceptedAsync(batch++);
        });
        await Task.Delay(3000);
        _host.Kill();
        await Task.Delay(1000);
        await _host.StartAsync();
        acceptedBeforeRestart = accepted;
        restarted = true;
        await sender;

        Assert.True(accepted > 500, $"only {accepted} events were accepted");
        Assert.True(accepted >= acceptedBeforeRestart + 250, $"the restarted host accepted {accepted - acceptedBeforeRestart} events");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await _host.StoredEventCountAsync(_host.Demo.TenantId) >= accepted, TimeSpan.FromSeconds(60)),
            $"stored {await _host.StoredEventCountAsync(_host.Demo.TenantId)} of {accepted}");
        await Task.Delay(2000);
        Assert.Equal(accepted, await _host.StoredEventCountAsync(_host.Demo.TenantId));
        Assert.Equal(accepted, await _host.ScalarAsync("SELECT sum(requests) FROM rollup_totals_minute WHERE tenant_id = $1", _host.Demo.TenantId));
    }
}
