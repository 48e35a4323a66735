using System.Net;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary><c>Pulse:Consumers=false</c>: ingest keeps accepting into the durable log, and nothing is consumed.</summary>
public class ConsumersOffTests
{
    [Fact]
    public async Task With_consumers_off_accepted_events_stay_in_the_log_and_are_not_stored_yet()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_off", settings => settings["Pulse__Consumers"] = "false");
        using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 5).Select(_ => Payloads.Event()))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.Equal(1, await host.ScalarAsync("SELECT count(*) FROM event_log_messages"));
        await Task.Delay(1_500); // longer than a reader's idle poll: a running consumer would have stored them
        Assert.Equal(0, await host.StoredEventCountAsync());
        Assert.Equal(0, await host.ScalarAsync("SELECT count(*) FROM event_log_checkpoints"));
        Assert.Contains("Event Hub consumers are off", host.Output);
    }
}
