using System.Buffers.Binary;
using System.Buffers.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Alerting.Routing;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Alerting;

/// <summary>The filters of an alert list: each null when not given.</summary>
internal sealed record AlertFilter(string? State = null, string? Severity = null, Guid? RuleId = null, DateTimeOffset? Since = null, AlertCursor? After = null,
    Guid[]? Ids = null);

/// <summary>
/// Reads a tenant's alerts for the API and the dashboard: newest first (by when they started, then id), filtered by
/// state, severity, rule and time, paged by an opaque cursor; one alert with its timeline.
/// </summary>
public sealed class AlertQueries(Database database, TimeProvider time)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    private static readonly string[] States = ["pending", "firing", "acknowledged", "resolved"];

    public async Task<IActionResult> ListAsync(Caller caller, HttpRequest request, CancellationToken ct)
    {
        var (filter, limit, failure) = ParseList(request.Query);
        if (failure is not null) return failure;
        var page = await database.ForTenantAsync(caller.TenantId, (c, t) => ListAsync(c, t, caller.TenantId, filter!, limit + 1, time.GetUtcNow(), ct), ct);
        var next = page.Count > limit ? new AlertCursor(page[limit - 1].StartedAt, page[limit - 1].Id).Encode() : null;
        return ApiResults.Ok(new AlertPage(page.Take(limit).ToList(), next));
    }

    public async Task<IActionResult> GetAsync(Caller caller, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var alertId)) return ApiResults.NotFound("No such alert.");
        var detail = await database.ForTenantAsync(caller.TenantId, async (c, t) =>
        {
            var alert = await FindAsync(c, t, caller.TenantId, alertId, time.GetUtcNow(), ct);
            return alert is null ? null : AlertTimeline.Detail(alert, await AlertTimeline.ReadAsync(c, t, caller.TenantId, alertId, ct));
        }, ct);
        return detail is null ? ApiResults.NotFound("No such alert.") : ApiResults.Ok(detail);
    }

    private static (AlertFilter? Filter, int Limit, IActionResult? Failure) ParseList(IQueryCollection query)
    {
        var state = query["state"].FirstOrDefault();
        if (state is not null && !States.Contains(state))
            return (null, 0, ApiResults.BadRequest("invalid-state", "state must be pending, firing, acknowledged or resolved."));
        var severity = query["severity"].FirstOrDefault();
        if (severity is not null && !AlertRuleValidator.Severities.Contains(severity))
            return (null, 0, ApiResults.BadRequest("invalid-severity", "severity must be critical, warning or info."));
        Guid? ruleId = null;
        if (query["ruleId"].FirstOrDefault() is { } ruleText)
        {
            if (!Guid.TryParse(ruleText, out var parsed)) return (null, 0, ApiResults.BadRequest("invalid-rule-id", "ruleId must be a rule's id."));
            ruleId = parsed;
        }
        DateTimeOffset? since = null;
        if (query["since"].FirstOrDefault() is { } sinceText)
        {
            if (!Rfc3339.TryParse(sinceText, out var parsed)) return (null, 0, ApiResults.BadRequest("invalid-since", "since must be an RFC 3339 timestamp."));
            since = parsed;
        }
        AlertCursor? after = null;
        if (query["cursor"].FirstOrDefault() is { } cursorText)
        {
            if (!AlertCursor.TryDecode(cursorText, out var parsed)) return (null, 0, ApiResults.BadRequest("invalid-cursor", "cursor must be a next value of an earlier page."));
            after = parsed;
        }
        var limit = DefaultLimit;
        if (query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxLimit))
            return (null, 0, ApiResults.BadRequest("invalid-limit", $"limit must be a whole number from 1 to {MaxLimit}."));
        return (new AlertFilter(state, severity, ruleId, since, after), limit, null);
    }

    internal static async Task<AlertView?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid alertId, DateTimeOffset now,
        CancellationToken ct) =>
        (await ListAsync(connection, transaction, tenantId, new AlertFilter(Ids: [alertId]), 1, now, ct)).SingleOrDefault();

    /// <summary>The tenant's alerts in <paramref name="state"/> (all when null), newest first.</summary>
    internal static Task<List<AlertView>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string? state, int limit,
        DateTimeOffset now, CancellationToken ct) =>
        ListAsync(connection, transaction, tenantId, new AlertFilter(State: state), limit, now, ct);

    /// <summary>
    /// Alerts of a tenant newest first. <c>since</c> keeps those open at any time since then: still open, or resolved
    /// at or after it. An open alert that a silence or maintenance window mutes now says so (<c>silenced</c>), read
    /// with one more query only when the tenant has anything in force.
    /// </summary>
    internal static async Task<List<AlertView>> ListAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, AlertFilter filter, int limit,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.id, a.rule_id, a.rule_name, a.state, a.severity, a.started_at, a.value, a.group_key,
                   a.firing_at, a.acknowledged_at, a.acknowledged_by, ack.email, a.resolved_at, a.resolved_by, res.email, a.resolved_reason,
                   r.definition::text, CASE WHEN a.state <> 'resolved' THEN a.flapping_since END, a.explanation::text
            FROM alerts a
            LEFT JOIN alert_rules r ON r.tenant_id = a.tenant_id AND r.id = a.rule_id
            LEFT JOIN users ack ON ack.tenant_id = a.tenant_id AND ack.id = a.acknowledged_by
            LEFT JOIN users res ON res.tenant_id = a.tenant_id AND res.id = a.resolved_by
            WHERE a.tenant_id = $1
              AND ($2::text IS NULL OR a.state = $2)
              AND ($3::text IS NULL OR a.severity = $3)
              AND ($4::uuid IS NULL OR a.rule_id = $4)
              AND ($5::timestamptz IS NULL OR a.resolved_at IS NULL OR a.resolved_at >= $5)
              AND ($6::timestamptz IS NULL OR (a.started_at, a.id) < ($6, $7))
              AND ($8::uuid[] IS NULL OR a.id = ANY($8))
            ORDER BY a.started_at DESC, a.id DESC
            LIMIT $9
            """, connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(Nullable(filter.State, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(filter.Severity, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(filter.RuleId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Nullable(filter.Since, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(filter.After?.StartedAt, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(filter.After?.Id, NpgsqlDbType.Uuid));
        command.Parameters.Add(Nullable(filter.Ids, NpgsqlDbType.Array | NpgsqlDbType.Uuid));
        command.Parameters.AddWithValue(limit);
        var alerts = new List<AlertView>();
        var open = new List<(Guid AlertId, AlertLabels Labels)>();
        var rules = new StoredRuleLabels();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var alert = new AlertView(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.GetString(7),
                    At(reader, 8), At(reader, 9), ActorOf(reader, 10), At(reader, 12), ActorOf(reader, 13), reader.IsDBNull(15) ? null : reader.GetString(15),
                    Flapping: !reader.IsDBNull(17), FlappingSince: At(reader, 17),
                    Explanation: reader.IsDBNull(18) ? null : System.Text.Json.JsonSerializer.Deserialize<Anomalies.AnomalyExplanation>(reader.GetString(18), Http.Json.Options));
                alerts.Add(alert);
                if (alert.State != "resolved")
                    open.Add((alert.Id, rules.Of(alert.RuleId, reader.IsDBNull(16) ? null : reader.GetString(16), alert.RuleName, alert.Severity, alert.Group)));
            }
        }
        if (open.Count == 0) return alerts;
        var muted = await AlertMuting.FindAsync(connection, transaction, tenantId, open, now, ct);
        return muted.Count == 0 ? alerts : alerts.Select(a => muted.TryGetValue(a.Id, out var m) ? a with { Silenced = m } : a).ToList();
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static DateTimeOffset? At(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetFieldValue<DateTimeOffset>(column);

    /// <summary>The person at <paramref name="column"/> (their id) and the next column (their e-mail), or null.</summary>
    internal static AlertActor? ActorOf(NpgsqlDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : new AlertActor(reader.GetGuid(column), reader.IsDBNull(column + 1) ? null : reader.GetString(column + 1));
}

/// <summary>A page of alerts; <c>next</c> is passed back as <c>cursor=</c> for the following page (null on the last).</summary>
public sealed record AlertPage(IReadOnlyList<AlertView> Items, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? Next);

/// <summary>
/// The position of the last alert of a page, in the list's order (started at descending, then id descending):
/// opaque to clients (base64url of the start in microseconds and the id). The id breaks ties.
/// </summary>
internal readonly record struct AlertCursor(DateTimeOffset StartedAt, Guid Id)
{
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[24];
        BinaryPrimitives.WriteInt64BigEndian(bytes, EventCursor.ToMicros(StartedAt));
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string text, out AlertCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[24];
        if (text.Length != 32 || !Base64Url.IsValid(text.AsSpan()) || !Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != 24) return false;
        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (micros is < 0 or > 253402300799999999) return false;
        cursor = new AlertCursor(EventCursor.FromMicros(micros), new Guid(bytes[8..], bigEndian: true));
        return true;
    }
}
