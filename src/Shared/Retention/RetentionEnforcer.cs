using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PulseStream.Identity;
using PulseStream.Storage;

namespace PulseStream.Retention;

/// <summary>
/// Removes what is past its retention, within bounds (<see cref="RetentionOptions.RunBudget"/>, at most
/// <see cref="RetentionOptions.BatchSize"/> rows per statement and <see cref="RetentionOptions.MaxBatchesPerRun"/>
/// statements per run), for the <c>EnforceRetention</c> timer. A run:
/// <list type="number">
/// <item>drops the day partitions of raw events wholly older than the longest retention any tenant has;</item>
/// <item>per tenant, deletes the rows of each tier older than the tenant's own retention (the partitions a tenant
/// with shorter retention shares with others, and every rollup table), and its old audit entries;</item>
/// <item>sweeps the tables kept for a fixed time (<see cref="RetentionSweeps"/>).</item>
/// </list>
/// A run that stops at its bounds resumes with the next tenant on the next run. The app role owns nothing: drops,
/// cross-tenant deletes and audit deletes go through the narrow functions of migration 0011.
/// </summary>
public sealed class RetentionEnforcer(Database database, IOptions<RetentionOptions> options, IOptions<SignupThrottleOptions> signupOptions,
    TimeProvider time, ILogger<RetentionEnforcer> logger)
{
    private readonly Lock _gate = new();
    private Guid? _resumeAfter;

    public async Task<RetentionRunReport> RunAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var report = new RetentionRunReport();
        if (!settings.Enabled)
        {
            report.Disabled = true;
            logger.LogInformation("Retention is switched off (Retention:Enabled=false); nothing was removed");
            return report;
        }
        var run = new RetentionRun(time, settings, report);
        var now = time.GetUtcNow();
        var tenants = await LoadTenantsAsync(ct);
        var tables = await DiscoverTablesAsync(ct);

        await DropPartitionsAsync(run, tables, tenants, now, ct);
        await DeletePerTenantAsync(run, tables, tenants, now, ct);
        await new RetentionSweeps(database, settings, SignupThrottle.FullRefill(signupOptions.Value)).RunAsync(run, now, ct);

        foreach (var (table, rows) in report.RowsRemoved)
            logger.LogInformation("Retention removed {Rows} rows from {Table}", rows, table);
        logger.LogInformation("Retention run: {Rows} rows in {Batches} batches and {Partitions} partitions removed in {ElapsedMs} ms{Stopped}",
            report.TotalRows, report.Batches, report.DroppedPartitions.Count, (long)run.Elapsed.TotalMilliseconds,
            report.StoppedEarly ? "; stopped at its bounds, the next run goes on" : "");
        return report;
    }

    private sealed record TenantSettings(Guid TenantId, RetentionOverrides Overrides);

    /// <summary>A table of <see cref="RetentionTables.All"/> that exists, with its time column and, when partitioned, its partitions.</summary>
    private sealed record PresentTable(RetentionTable Spec, string TimeColumn, List<DayPartition>? Partitions);

    private async Task<List<TenantSettings>> LoadTenantsAsync(CancellationToken ct)
    {
        var tenants = new List<TenantSettings>();
        await using var command = database.DataSource.CreateCommand(
            "SELECT tenant_id, raw_days, minute_days, hour_days, day_days, audit_days FROM retention_tenants()");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            int? At(int i) => reader.IsDBNull(i) ? null : reader.GetInt32(i);
            tenants.Add(new(reader.GetGuid(0), new(At(1), At(2), At(3), At(4), At(5))));
        }
        return tenants;
    }

    private async Task<List<PresentTable>> DiscoverTablesAsync(CancellationToken ct)
    {
        var found = new Dictionary<string, (bool Partitioned, string? Key)>(StringComparer.Ordinal);
        await using (var command = database.DataSource.CreateCommand("""
            SELECT n.name, c.relkind = 'p',
                   (SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
                    WHERE p.partrelid = c.oid)
            FROM unnest($1::text[]) AS n(name) JOIN pg_class c ON c.oid = to_regclass(n.name)
            """))
        {
            command.Parameters.AddWithValue(RetentionTables.All.Select(t => t.Table).ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) found[reader.GetString(0)] = (reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        var present = new List<PresentTable>();
        foreach (var spec in RetentionTables.All)
        {
            if (!found.TryGetValue(spec.Table, out var table)) continue; // not created yet (or gone): nothing to keep bounded
            if (table.Partitioned)
            {
                if (table.Key is null) continue;
                present.Add(new(spec, table.Key, await PartitionsOfAsync(spec.Table, ct)));
            }
            else if (spec.TimeColumn is { } column) present.Add(new(spec, column, null));
        }
        return present;
    }

    /// <summary>The day partitions of a parent (named <c>{parent}_YYYYMMDD</c>) with the range the catalog gives each.</summary>
    private async Task<List<DayPartition>> PartitionsOfAsync(string parent, CancellationToken ct)
    {
        var partitions = new List<DayPartition>();
        await using var command = database.DataSource.CreateCommand("""
            SELECT c.relname,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass($1)
            """);
        command.Parameters.AddWithValue(parent);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // A default partition, or one not named by day, has no day range to judge: it is left alone.
            if (reader.IsDBNull(1) || reader.IsDBNull(2) || !DayPartitions.TryParseDay(parent, reader.GetString(0), out var day)) continue;
            partitions.Add(new(reader.GetString(0), day, reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }
        return partitions;
    }

    private async Task DropPartitionsAsync(RetentionRun run, List<PresentTable> tables, List<TenantSettings> tenants, DateTimeOffset now, CancellationToken ct)
    {
        var defaults = options.Value.Defaults;
        foreach (var table in tables.Where(t => t.Spec.DropsPartitions && t.Partitions is not null))
        {
            var longest = RetentionCutoffs.Longest(table.Spec.Tier, defaults, tenants.Select(t => t.Overrides));
            var cutoff = RetentionCutoffs.Cutoff(now, longest);
            foreach (var partition in DayPartitions.WhollyBefore(table.Partitions!, cutoff))
            {
                if (!run.CanContinue()) return;
                try
                {
                    await using var command = database.DataSource.CreateCommand("SELECT retention_drop_partition($1, $2, $3)");
                    command.Parameters.AddWithValue(table.Spec.Table);
                    command.Parameters.AddWithValue(partition.Name);
                    command.Parameters.AddWithValue(cutoff);
                    if (await command.ExecuteScalarAsync(ct) is not true) continue;
                    table.Partitions!.Remove(partition);
                    run.Report.AddDropped(partition.Name);
                    logger.LogInformation("Retention dropped partition {Partition} of {Table} ({From:u} to {To:u}): older than {Days} days, the longest {Tier} retention",
                        partition.Name, table.Spec.Table, partition.From, partition.To, longest, table.Spec.Tier);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    logger.LogWarning("Retention did not drop {Partition}: its table was busy; the next run tries again", partition.Name);
                }
            }
        }
    }

    private async Task DeletePerTenantAsync(RetentionRun run, List<PresentTable> tables, List<TenantSettings> tenants, DateTimeOffset now, CancellationToken ct)
    {
        var settings = options.Value;
        Guid? resumeAfter;
        lock (_gate) resumeAfter = _resumeAfter;
        // In id order, from where the last run stopped, then round to the start.
        var ordered = resumeAfter is { } after
            ? tenants.Where(t => t.TenantId.CompareTo(after) > 0).Concat(tenants.Where(t => t.TenantId.CompareTo(after) <= 0)).ToList()
            : tenants;
        Guid? lastDone = null;
        foreach (var tenant in ordered)
        {
            if (!run.CanContinue()) break;
            var effective = RetentionDays.Effective(settings.Defaults, tenant.Overrides);
            foreach (var table in tables)
            {
                if (!run.CanContinue()) break;
                var cutoff = RetentionCutoffs.Cutoff(now, effective.For(table.Spec.Tier));
                if (table.Partitions is null)
                    await run.DrainAsync(table.Spec.Table, limit => DeleteRowsAsync(tenant.TenantId, table, cutoff, null, limit, ct));
                else
                    foreach (var partition in DayPartitions.HoldingRowsBefore(table.Partitions, cutoff))
                        await run.DrainAsync(table.Spec.Table, limit => DeleteRowsAsync(tenant.TenantId, table, cutoff, partition, limit, ct));
            }
            await run.DrainAsync("audit_log", limit => DeleteAuditAsync(tenant.TenantId, settings.AuditDays, limit, ct));
            if (!run.CanContinue()) break;
            lastDone = tenant.TenantId;
        }
        lock (_gate) _resumeAfter = run.Report.StoppedEarly ? lastDone ?? resumeAfter : null;
        // Failed logins with an unknown e-mail belong to no tenant; they are kept for the default audit retention.
        await run.DrainAsync("audit_log", limit => DeleteAuditAsync(null, settings.AuditDays, limit, ct));
    }

    /// <summary>
    /// One batch of a tenant's rows older than its cutoff, in the tenant's own transaction (row-level security keeps
    /// it to that tenant). In a partitioned table one partition at a time: a row's ctid is unique only within its
    /// partition, so the outer range pins the partition.
    /// </summary>
    private Task<long> DeleteRowsAsync(Guid tenantId, PresentTable table, DateTimeOffset cutoff, DayPartition? partition, int limit, CancellationToken ct) =>
        database.ForTenantAsync(tenantId, async (connection, transaction) =>
        {
            var name = Quote(table.Spec.Table);
            var column = Quote(table.TimeColumn);
            var sql = partition is null
                ? $"DELETE FROM {name} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {name} WHERE tenant_id = $1 AND {column} < $2 LIMIT $3))"
                : $"""
                  DELETE FROM {name} WHERE {column} >= $4 AND {column} < $5 AND ctid = ANY (ARRAY(
                      SELECT ctid FROM {name} WHERE tenant_id = $1 AND {column} >= $4 AND {column} < $5 AND {column} < $2 LIMIT $3))
                  """;
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(cutoff);
            command.Parameters.AddWithValue(limit);
            if (partition is not null)
            {
                command.Parameters.AddWithValue(partition.From);
                command.Parameters.AddWithValue(partition.To);
            }
            return (long)await command.ExecuteNonQueryAsync(ct);
        }, ct);

    private async Task<long> DeleteAuditAsync(Guid? tenantId, int defaultDays, int limit, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("SELECT retention_delete_audit($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue(defaultDays);
        command.Parameters.AddWithValue(limit);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Names come from <see cref="RetentionTables"/> and the catalog, never from a request; quoted all the same.</summary>
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
