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

        var stopSending = DateTime.UtcNow.AddSeconds(12);
        var sender = Task.Run(async () => { while (DateTime.UtcNow < stopSending) await SendUntilAcceptedAsync(batch++); });
        await Task.Delay(3000);
        _host.Kill();
        await Task.Delay(1000);
        await _host.StartAsync();
        await sender;

        Assert.True(accepted > 500, $"only {accepted} events were accepted");
        Assert.True(await LocalHostProcess.EventuallyAsync(async () =>
            await _host.StoredEventCountAsync(_host.Demo.TenantId) >= accepted, TimeSpan.FromSeconds(60)),
            $"stored {await _host.StoredEventCountAsync(_host.Demo.TenantId)} of {accepted}");
        await Task.Delay(2000);
        Assert.Equal(accepted, await _host.StoredEventCountAsync(_host.Demo.TenantId));
        Assert.Equal(accepted, await _host.ScalarAsync("SELECT sum(requests) FROM rollup_totals_minute WHERE tenant_id = $1", _host.Demo.TenantId));
    }
}
