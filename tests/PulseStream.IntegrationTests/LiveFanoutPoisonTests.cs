using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The Realtime consumer reads the same batches as the Alerts consumer: a message it cannot decode costs only that
/// message's live updates, never the other tenants' in the same consumed batch.
/// </summary>
[Collection(SharedPartitionCollection.Name)]
public class LiveFanoutPoisonTests(SharedPartitionFixture fixture)
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task An_undecodable_message_in_a_batch_does_not_stop_another_tenants_live_events()
    {
        const string password = "a long password 123";
        var tenant = await Provisioning.For(Host).CreateTenantAsync("Live Poison Co", $"lp-{Guid.NewGuid():N}@example.com", password, default);
        var token = await Host.LoginAsync(tenant.OwnerEmail, password);
        var (url, accessToken) = await Host.NegotiateAsync(token);
        var connection = new HubConnectionBuilder()
            .WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken))
            .Build();
        await using var _ = connection;
        var received = Channel.CreateUnbounded<string>();
        connection.On<JsonElement>("events", batch =>
        {
            foreach (var e in batch.EnumerateArray())
                if (e.GetProperty("eventId").GetString() is { } id) received.Writer.TryWrite(id);
        });
        await connection.StartAsync();

        var marker = Guid.NewGuid().ToString("N");
        var good = SharedPartitionFixture.Envelope(tenant.TenantId,
            Enumerable.Range(0, 3).Select(i => SharedPartitionFixture.Event("/v1/live/{id}", i, eventId: $"{marker}-{i}")));
        // One commit, so one consumed batch: the broken message first, the good tenant's after it.
        await fixture.AppendAsync(["{\"v\":1,\"t\":"u8.ToArray(), good]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new HashSet<string>();
        while (seen.Count < 3)
        {
            var id = await received.Reader.ReadAsync(timeout.Token);
            if (id.StartsWith(marker, StringComparison.Ordinal)) seen.Add(id);
        }
        Assert.Equal(3, seen.Count);
    }
}
