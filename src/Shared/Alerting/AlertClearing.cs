using Npgsql;

namespace PulseStream.Alerting;

/// <summary>
/// Starts and resets the <c>keepFiringFor</c> clock of firing and acknowledged alerts (<c>alerts.cleared_at</c>), in the
/// evaluation's transaction, with one statement. No state changes, so no timeline entry, no notification and no live
/// push: to anyone watching, the alert simply goes on firing.
/// </summary>
public static class AlertClearing
{
    /// <summary>Applies the <see cref="AlertTransition.StartClearing"/> and <see cref="AlertTransition.StopClearing"/> decisions; ignores the others.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<AlertDecision> decisions,
        DateTimeOffset now, CancellationToken ct)
    {
        var clocks = decisions.Where(d => d.Current is not null && d.Transition is AlertTransition.StartClearing or AlertTransition.StopClearing).ToList();
        if (clocks.Count == 0) return;
        await using var update = new NpgsqlCommand("""
            UPDATE alerts a SET cleared_at = CASE WHEN u.start THEN $2 END
            FROM unnest($3::uuid[], $4::bool[]) AS u(id, start)
            WHERE a.tenant_id = $1 AND a.id = u.id AND a.state IN ('firing', 'acknowledged')
            """, connection, transaction);
        update.Parameters.AddWithValue(tenantId);
        update.Parameters.AddWithValue(now);
        update.Parameters.AddWithValue(clocks.Select(d => d.Current!.Id).ToArray());
        update.Parameters.AddWithValue(clocks.Select(d => d.Transition == AlertTransition.StartClearing).ToArray());
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Whether <paramref name="transition"/> is one <see cref="AlertTransitions"/> writes (a state change).</summary>
    public static bool ChangesState(AlertTransition transition) =>
        transition is not (AlertTransition.None or AlertTransition.StartClearing or AlertTransition.StopClearing);
}
