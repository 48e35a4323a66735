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

        // Each round is one commit, so one consumed batch: the broken message first, the good tenant's after it. Rounds
        // repeat until a round's three events all arrive: the connection joins its tenant's group after its start
        // returns, so a round sent before the join is not for it (a single round failed this way on a loaded machine).
        var giveUp = DateTime.UtcNow.AddSeconds(30);
        var seen = new HashSet<string>();
        for (var round = 0; seen.Count < 3 && DateTime.UtcNow < giveUp; round++)
        {
            var marker = $"{Guid.NewGuid():N}-{round}";
            var good = SharedPartitionFixture.Envelope(tenant.TenantId,
                Enumerable.Range(0, 3).Select(i => SharedPartitionFixture.Event("/v1/live/{id}", i, eventId: $"{marker}-{i}")));
            await fixture.AppendAsync(["{\"v\":1,\"t\":"u8.ToArray(), good]);
            seen.Clear();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                while (seen.Count < 3)
                {
                    var id = await received.Reader.ReadAsync(wait.Token);
                    if (id.StartsWith(marker, StringComparison.Ordinal)) seen.Add(id);
                }
            }
            catch (OperationCanceledException) { }
        }
        Assert.Equal(3, seen.Count);
    }
}
