using Microsoft.Extensions.Logging;
using PulseStream.Storage;

namespace PulseStream.Alerting.Routing;

/// <summary>
/// Sends the notification groups that are due (groupWait, groupInterval or repeatInterval passed), for a timer. Due
/// groups are claimed across tenants by <c>claim_due_notification_groups</c> (at most <see cref="MaxPerTenant"/> of
/// one tenant per claim, so a tenant with many due rules does not hold back the others), then each is flushed in its
/// tenant's transaction by <see cref="NotificationGroups.FlushAsync"/>, which re-reads the group under its row lock:
/// racing flushers, and an evaluation that flushes the same group, write its notification once.
/// </summary>
public sealed class NotificationGroupFlusher(Database database, TimeProvider time, ILogger<NotificationGroupFlusher> logger)
{
    /// <summary>The most groups one claim takes; a round claims again while claims come back full, up to <see cref="MaxClaimsPerRound"/>.</summary>
    public const int MaxPerClaim = 200;

    /// <summary>The most groups of one tenant one claim takes.</summary>
    public const int MaxPerTenant = 20;

    public const int MaxClaimsPerRound = 5;

    /// <summary>How long a claim keeps other flushers off a group; a flusher that stopped leaves it due again after this.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Flushes what is due; answers how many deliveries were written.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var written = 0;
        for (var round = 0; round < MaxClaimsPerRound; round++)
        {
            var claimed = new List<(Guid TenantId, Guid RuleId)>();
            await using (var claim = database.DataSource.CreateCommand("SELECT tenant_id, rule_id FROM claim_due_notification_groups($1, $2, $3, $4)"))
            {
                claim.Parameters.AddWithValue(time.GetUtcNow());
                claim.Parameters.AddWithValue(MaxPerClaim);
                claim.Parameters.AddWithValue(MaxPerTenant);
                claim.Parameters.AddWithValue(Lease);
                await using var reader = await claim.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) claimed.Add((reader.GetGuid(0), reader.GetGuid(1)));
            }
            foreach (var (tenantId, ruleId) in claimed)
            {
                try
                {
                    written += await database.ForTenantAsync(tenantId, (c, t) => NotificationGroups.FlushAsync(c, t, tenantId, ruleId, time.GetUtcNow(), ct), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // Nothing of it was committed; the claim lapses after one lease and the group is flushed then.
                    logger.LogError(e, "Flushing the notification group of rule {RuleId} of tenant {TenantId} failed", ruleId, tenantId);
                }
            }
            if (claimed.Count < MaxPerClaim) break;
        }
        return written;
    }
}
