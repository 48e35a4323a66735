using System.Text.RegularExpressions;
using Npgsql;

namespace PulseStream.IntegrationTests;

/// <summary>Where a table that is not distributed by tenant lives on a Citus cluster.</summary>
public enum NonTenantPlacement
{
    /// <summary>A Citus reference table: one copy on every node; distributed tables may reference it.</summary>
    Reference,
    /// <summary>A table on the coordinator only; no distributed table may reference it.</summary>
    Local,
}

/// <summary>A table that is deliberately not a tenant table, and why.</summary>
public sealed record NonTenantTable(string Name, NonTenantPlacement Placement, string Reason);

/// <summary>What <see cref="DistributableSchema.CheckAsync"/> found: the tenant tables with their tenant column, and every problem.</summary>
public sealed record DistributabilityReport(IReadOnlyDictionary<string, string> TenantTables, IReadOnlyList<string> Problems);

/// <summary>
/// Reads a schema from pg_catalog and reports what would keep it from being distributed by tenant with Citus
/// (docs/SCALING.md). A tenant table is one with the <c>tenant_isolation</c> policy of <c>enable_tenant_isolation</c>
/// (its tenant column is the one the policy compares with <c>app_tenant()</c>: <c>id</c> for <c>tenants</c>) or one
/// with a <c>tenant_id</c> column; partitions belong to their root. Unless the allow-list names it, a tenant table
/// must have its tenant column NOT NULL, in its primary key (if any), in every unique constraint and unique index, and
/// every foreign key must pair it with the referenced tenant table's tenant column, or reference a reference table.
/// Any other table must be on the allow-list, and allow-listed tables may not reference tenant tables.
/// </summary>
public static partial class DistributableSchema
{
    public static async Task<DistributabilityReport> CheckAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema,
        IReadOnlyCollection<NonTenantTable> allowList)
    {
        var catalog = await Catalog.ReadAsync(connection, transaction, schema);
        var allowed = allowList.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var problems = new List<string>();

        // The tenant column of each root table; partitions share their root's.
        var tenantColumn = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var root in catalog.Tables.Values.Where(t => !t.IsPartition))
        {
            if (allowed.ContainsKey(root.Name)) continue;
            var column = root.PolicyTenantColumn ?? (root.Columns.ContainsKey("tenant_id") ? "tenant_id" : null);
            if (column is null)
                problems.Add($"{root.Name}: not classified: give it a tenant_id column (and tenant_id in its keys), or list it with its reason as a reference or local table");
            else if (!root.Columns.ContainsKey(column))
                problems.Add($"{root.Name}: the tenant_isolation policy compares {column}, which is not a column");
            else
                tenantColumn[root.Name] = column;
        }
        foreach (var stale in allowed.Keys.Where(name => !catalog.Tables.Values.Any(t => !t.IsPartition && t.Name == name)).Order(StringComparer.Ordinal))
            problems.Add($"{stale}: listed as a non-tenant table but no such table exists: remove it from the list");

        foreach (var table in catalog.Tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (tenantColumn.TryGetValue(table.Root, out var column))
                CheckTenantTable(catalog, table, column, tenantColumn, allowed, problems);
            else if (allowed.TryGetValue(table.Root, out var entry))
                CheckNonTenantTable(catalog, table, entry, tenantColumn, problems);
        }
        return new DistributabilityReport(tenantColumn, problems);
    }

    private static void CheckTenantTable(Catalog catalog, Table table, string column, Dictionary<string, string> tenantColumn,
        Dictionary<string, NonTenantTable> allowed, List<string> problems)
    {
        var tenant = table.Columns[column];
        // A partition's NOT NULL comes from its root, which is checked itself.
        if (!table.IsPartition && !tenant.NotNull)
            problems.Add($"{table.Name}: {column} may be null: a distribution column must be NOT NULL");

        foreach (var constraint in table.Constraints)
        {
            switch (constraint.Type)
            {
                case 'p' or 'u' or 'x' when !constraint.Columns.Contains(tenant.Number):
                    problems.Add($"{table.Name}: {Describe(constraint.Type)} {constraint.Name} does not include {column}: Citus can only enforce it within one tenant's shard");
                    break;
                case 'f':
                    CheckForeignKey(catalog, table, column, constraint, tenantColumn, allowed, problems);
                    break;
            }
        }
        foreach (var index in table.UniqueIndexes.Where(i => !i.Columns.Contains(tenant.Number)))
            problems.Add($"{table.Name}: unique index {index.Name} does not include {column}: Citus can only enforce it within one tenant's shard ({index.Definition})");
    }

    private static void CheckForeignKey(Catalog catalog, Table table, string column, Constraint key, Dictionary<string, string> tenantColumn,
        Dictionary<string, NonTenantTable> allowed, List<string> problems)
    {
        if (!catalog.Tables.TryGetValue(key.ReferencedTable, out var referenced))
        {
            problems.Add($"{table.Name}: foreign key {key.Name} references a table outside the schema");
            return;
        }
        if (tenantColumn.TryGetValue(referenced.Root, out var referencedColumn))
        {
            var own = table.Columns[column].Number;
            var theirs = referenced.Columns[referencedColumn].Number;
            var paired = key.Columns.Zip(key.ReferencedColumns).Any(p => p.First == own && p.Second == theirs);
            if (!paired)
                problems.Add($"{table.Name}: foreign key {key.Name} to {referenced.Name} does not pair {column} with {referenced.Name}.{referencedColumn}: on Citus it would cross shards");
        }
        else if (allowed.TryGetValue(referenced.Root, out var entry) && entry.Placement == NonTenantPlacement.Local)
        {
            problems.Add($"{table.Name}: foreign key {key.Name} references the local table {referenced.Name}: a distributed table may reference only distributed tables of its tenant and reference tables");
        }
        // A reference table is fine; an unclassified one is reported as such.
    }

    private static void CheckNonTenantTable(Catalog catalog, Table table, NonTenantTable entry, Dictionary<string, string> tenantColumn, List<string> problems)
    {
        foreach (var key in table.Constraints.Where(c => c.Type == 'f'))
        {
            if (catalog.Tables.TryGetValue(key.ReferencedTable, out var referenced) && tenantColumn.ContainsKey(referenced.Root))
                problems.Add($"{table.Name}: foreign key {key.Name} of this {entry.Placement.ToString().ToLowerInvariant()} table references the tenant table {referenced.Name}: Citus does not allow it");
        }
    }

    private static string Describe(char type) => type switch
    {
        'p' => "primary key",
        'u' => "unique constraint",
        _ => "exclusion constraint",
    };

    private sealed record Column(short Number, bool NotNull);
    private sealed record Constraint(string Name, char Type, short[] Columns, long ReferencedTable, short[] ReferencedColumns);
    private sealed record UniqueIndex(string Name, short[] Columns, string Definition);

    private sealed class Table(string name, string root, bool isPartition)
    {
        public string Name { get; } = name;
        public string Root { get; } = root;
        public bool IsPartition { get; } = isPartition;
        public Dictionary<string, Column> Columns { get; } = new(StringComparer.Ordinal);
        public List<Constraint> Constraints { get; } = [];
        public List<UniqueIndex> UniqueIndexes { get; } = [];
        public string? PolicyTenantColumn { get; set; }
    }

    [GeneratedRegex("""\(?"?(\w+)"? = (?:\w+\.)?app_tenant\(\)""")]
    private static partial Regex PolicyComparison();

    private sealed class Catalog
    {
        public Dictionary<long, Table> Tables { get; } = [];

        public static async Task<Catalog> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema)
        {
            var catalog = new Catalog();
            await ForEachRowAsync(connection, transaction, """
                SELECT c.oid::bigint, c.relname, coalesce(r.relname, c.relname), c.relispartition
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_class r ON r.oid = pg_partition_root(c.oid)
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
                """, schema, r => catalog.Tables[r.GetInt64(0)] = new Table(r.GetString(1), r.GetString(2), r.GetBoolean(3)));
            var oids = catalog.Tables.Keys.ToArray();

            await ForEachRowAsync(connection, transaction, """
                SELECT a.attrelid::bigint, a.attname, a.attnum, a.attnotnull FROM pg_attribute a
                WHERE a.attrelid::bigint = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
                """, oids, r => catalog.Tables[r.GetInt64(0)].Columns[r.GetString(1)] = new Column(r.GetInt16(2), r.GetBoolean(3)));

            await ForEachRowAsync(connection, transaction, """
                SELECT p.polrelid::bigint, pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
                WHERE p.polrelid::bigint = ANY($1) AND p.polname = 'tenant_isolation'
                """, oids, r =>
                {
                    var match = PolicyComparison().Match(r.GetString(1));
                    catalog.Tables[r.GetInt64(0)].PolicyTenantColumn = match.Success ? match.Groups[1].Value : "(no comparison with app_tenant())";
                });

            // Constraints a partition inherits from its parent (conparentid <> 0) are checked on the parent.
            await ForEachRowAsync(connection, transaction, """
                SELECT c.conrelid::bigint, c.conname, c.contype::text, c.conkey, c.confrelid::bigint, coalesce(c.confkey, '{}')
                FROM pg_constraint c
                WHERE c.conrelid::bigint = ANY($1) AND c.contype IN ('p', 'u', 'x', 'f') AND c.conparentid = 0
                """, oids, r => catalog.Tables[r.GetInt64(0)].Constraints.Add(
                    new Constraint(r.GetString(1), r.GetString(2)[0], r.GetFieldValue<short[]>(3), r.GetInt64(4), r.GetFieldValue<short[]>(5))));

            // Unique indexes that back no constraint (those are checked as constraints) and are not a partition's copy
            // of its parent's index. An expression's position in indkey is 0: it never counts as the tenant column.
            await ForEachRowAsync(connection, transaction, """
                SELECT i.indrelid::bigint, ic.relname, i.indkey::int2[], pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                WHERE i.indrelid::bigint = ANY($1) AND i.indisunique
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
                """, oids, r => catalog.Tables[r.GetInt64(0)].UniqueIndexes.Add(new UniqueIndex(r.GetString(1), r.GetFieldValue<short[]>(2), r.GetString(3))));
            return catalog;
        }

        private static async Task ForEachRowAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object parameter, Action<NpgsqlDataReader> row)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.AddWithValue(parameter);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) row(reader);
        }
    }
}
