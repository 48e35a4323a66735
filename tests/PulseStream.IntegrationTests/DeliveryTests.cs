using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// A host whose delivery schedule is compressed from about a day to seconds (the schedule's shape is the same, and
/// checked at its real length in the unit tests): a short lease, short attempts, a few quick retries.
/// </summary>
public sealed class DeliveryHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    public LocalHostProcess Host { get; private set; } = null!;
    public Dictionary<string, string> Settings { get; } = new()
    {
        ["Deliveries__Lease"] = "00:00:02",
        ["Deliveries__AttemptTimeout"] = "00:00:08",
        ["Deliveries__MaxAttempts"] = "4",
        ["Deliveries__FirstRetryDelay"] = "00:00:01",
        ["Deliveries__RetryFactor"] = "2",
        ["Deliveries__Jitter"] = "0",
    };

    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_deliveries", settings =>
    {
        foreach (var (key, value) in Settings) settings[key] = value;
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Deliveries proven against real receivers on loopback: retried, timed out, slow, interrupted, replayed.</summary>
public class DeliveryTests(DeliveryHostFixture fixture) : IClassFixture<DeliveryHostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task A_receiver_slower_than_the_lease_gets_the_delivery_once_while_a_second_dispatcher_runs()
    {
        // The receiver takes 2.5 leases to answer; a second Alerts instance dispatches beside the host all along.
        await using var receiver = await LoopbackReceiver.StartAsync(async (_, context) =>
        {
            await Task.Delay(DeliveryHostFixture.Lease * 2.5, context.RequestAborted);
            return 204;
        });
        var scenario = await DeliveryScenario.CreateAsync(Host, receiver.Url);
        await using var second = new SecondDispatcher(Host, fixture.Settings);
        second.Start();

        var (_, deliveryId) = await scenario.EnqueueAsync();
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await scenario.StateAsync(deliveryId) == "delivered", TimeSpan.FromSeconds(30)),
            $"not delivered: {await scenario.StateAsync(deliveryId)}\n{Host.Output}");
        // Give a late second claim every chance to show itself.
        await Task.Delay(DeliveryHostFixture.Lease * 3);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal(deliveryId.ToString(), request.DeliveryId);
        Assert.Equal(204, request.AnsweredWith);
    }
}
