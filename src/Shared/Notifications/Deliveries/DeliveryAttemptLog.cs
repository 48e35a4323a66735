using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace PulseStream.Notifications.Deliveries;

/// <summary>
/// One attempt as the deliveries API shows it: when, the receiver's status code, how long it took, the error, and what
/// the service said beyond the status (<c>detail</c>; ACS e-mail: the operation's final status), when it said more.
/// </summary>
public sealed record DeliveryAttempt(DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? StatusCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? LatencyMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Error,
    string? Detail = null);

/// <summary>
/// Every attempt of every delivery (<c>delivery_attempts</c>): opened when claimed (by <c>claim_due_deliveries</c>),
/// closed here with the outcome, or closed as interrupted when a stopped dispatcher's claim is taken over.
/// </summary>
public static class DeliveryAttemptLog
{
    public const int MaxErrorLength = 500;

    /// <summary>
    /// The attempts kept per delivery, newest first: a schedule makes 10, and each replay adds another schedule's worth;
    /// the claim that opens an attempt removes those older than the newest 50.
    /// </summary>
    public const int MaxAttemptsKept = 50;

    /// <summary>An error as stored and shown: one line, bounded.</summary>
    public static string? Bounded(string? error)
    {
        if (error is null) return null;
        var line = error.ReplaceLineEndings(" ");
        return line.Length > MaxErrorLength ? line[..MaxErrorLength] : line;
    }

    public static async Task CloseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxDelivery delivery, SendOutcome outcome,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE delivery_attempts SET finished_at = $4, status_code = $5, latency_ms = $6, error = $7, detail = $8
            WHERE tenant_id = $1 AND delivery_id = $2 AND claim_token = $3
            """, connection, transaction);
        command.Parameters.AddWithValue(delivery.TenantId);
        command.Parameters.AddWithValue(delivery.Id);
        command.Parameters.AddWithValue(delivery.ClaimToken);
        command.Parameters.AddWithValue(now);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.StatusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.AddWithValue(Math.Round(outcome.Latency.TotalMilliseconds, 1));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Bounded(outcome.Error) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Bounded(outcome.Detail) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The attempts of the given deliveries, oldest first per delivery.</summary>
    public static async Task<Dictionary<Guid, List<DeliveryAttempt>>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        IReadOnlyCollection<Guid> deliveryIds, CancellationToken ct)
    {
        var attempts = deliveryIds.ToDictionary(id => id, _ => new List<DeliveryAttempt>());
        if (deliveryIds.Count == 0) return attempts;
        await using var command = new NpgsqlCommand("""
            SELECT delivery_id, started_at, status_code, latency_ms, error, detail FROM delivery_attempts
            WHERE tenant_id = $1 AND delivery_id = ANY($2) ORDER BY delivery_id, started_at
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(deliveryIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            attempts[reader.GetGuid(0)].Add(new DeliveryAttempt(reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return attempts;
    }
}
