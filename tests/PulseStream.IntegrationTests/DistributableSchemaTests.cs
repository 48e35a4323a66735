using Npgsql;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// The migrated schema can be distributed by tenant with Citus (docs/SCALING.md): checked from pg_catalog, so a new
/// migration that adds a cross-tenant key, or a table nobody classified, fails here with the table and constraint named.
/// </summary>
public class DistributableSchemaTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    /// <summary>
    /// Every table that is not distributed by tenant, with where it lives on a Citus cluster and why. A new table is
    /// either a tenant table (tenant_id in every key) or goes here, with its reason.
    /// </summary>
    public static readonly NonTenantTable[] NonTenantTables =
    [
        new("schema_migrations", NonTenantPlacement.Local, "The migrator's record of applied migrations: one per database, run on the coordinator."),
        new("consumer_positions", NonTenantPlacement.Local,
            "Keyed by consumer group and Event Hubs partition, not tenant: a batch holds many tenants' events. Written in the batch's own transaction."),
        new("dead_letters", NonTenantPlacement.Local,
            "The operator's table: what the store could not hold, whosever it was (tenant_id is null for undecodable messages); only the operator-key routes read it."),
        new("event_log_partitions", NonTenantPlacement.Local, "The local event log standing in for Event Hubs (DESIGN.md §3); in Azure, Event Hubs replaces it."),
        new("event_log_messages", NonTenantPlacement.Local, "The local event log standing in for Event Hubs; in Azure, Event Hubs replaces it."),
        new("event_log_checkpoints", NonTenantPlacement.Local, "The local event log standing in for Event Hubs; in Azure, Event Hubs replaces it."),
        new("login_throttle", NonTenantPlacement.Local, "Failed logins by e-mail and client address, before any tenant is known (the e-mail may not exist)."),
        new("signup_throttle", NonTenantPlacement.Local, "Signup token buckets by client address: the caller has no tenant yet."),
        new("login_emails", NonTenantPlacement.Reference,
            "Log-in e-mail addresses are unique across tenants: that uniqueness cannot live in the distributed users table. Small, read on every login."),
        new("audit_log_anonymous", NonTenantPlacement.Local, "Failed logins with an unknown e-mail: no tenant, visible to no tenant, the operator's."),
    ];

    [Fact]
    public async Task Every_table_is_a_tenant_table_with_tenant_id_in_every_key_or_a_classified_reference_or_local_table()
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        var report = await DistributableSchema.CheckAsync(connection, null, "public", NonTenantTables);

        Assert.True(report.Problems.Count == 0, "The schema cannot be distributed by tenant:\n" + string.Join("\n", report.Problems));
        // The check saw the tables it is about: tenants keys on id, the rest on tenant_id (a few long-lived ones named).
        Assert.Equal("id", report.TenantTables["tenants"]);
        foreach (var table in new[] { "users", "api_keys", "refresh_tokens", "audit_log", "alerts", "alert_timeline" })
            Assert.Equal("tenant_id", report.TenantTables[table]);
    }

    [Fact]
    public async Task The_check_names_each_table_and_constraint_that_would_not_distribute()
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        // Built and checked in one transaction that is rolled back: the shared database keeps nothing of it.
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var create = new NpgsqlCommand("""
            CREATE SCHEMA distributable_probe;
            SET LOCAL search_path = distributable_probe, public;
            CREATE TABLE probe_tenants (id uuid PRIMARY KEY);
            CALL enable_tenant_isolation('distributable_probe.probe_tenants', 'id');
            CREATE TABLE probe_countries (code text PRIMARY KEY);
            CREATE TABLE probe_runs (id int PRIMARY KEY);
            CREATE TABLE probe_users (tenant_id uuid REFERENCES probe_tenants (id), id uuid NOT NULL, email text NOT NULL,
                country text REFERENCES probe_countries (code), PRIMARY KEY (tenant_id, id));
            CREATE UNIQUE INDEX probe_users_email_key ON probe_users (lower(email));
            CREATE TABLE probe_keys (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL);
            CREATE TABLE probe_tokens (tenant_id uuid NOT NULL, hash text NOT NULL, CONSTRAINT probe_tokens_hash_key UNIQUE (hash));
            CREATE TABLE probe_notes (tenant_id uuid, body text);
            CREATE TABLE probe_sessions (tenant_id uuid NOT NULL, user_tenant uuid NOT NULL, user_id uuid NOT NULL, run_id int,
                CONSTRAINT probe_sessions_user_fkey FOREIGN KEY (user_tenant, user_id) REFERENCES probe_users (tenant_id, id),
                CONSTRAINT probe_sessions_run_fkey FOREIGN KEY (run_id) REFERENCES probe_runs (id));
            CREATE TABLE probe_owners (code text PRIMARY KEY, tenant_id uuid NOT NULL, user_id uuid NOT NULL,
                CONSTRAINT probe_owners_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES probe_users (tenant_id, id));
            CREATE TABLE probe_events (tenant_id uuid NOT NULL, ts timestamptz NOT NULL, id bigint NOT NULL) PARTITION BY RANGE (ts);
            CREATE TABLE probe_events_20250101 PARTITION OF probe_events FOR VALUES FROM ('2025-01-01') TO ('2025-01-02');
            CREATE UNIQUE INDEX probe_events_id_key ON probe_events (id, ts);
            CREATE TABLE probe_scratch (x int);
            """, connection, transaction))
            await create.ExecuteNonQueryAsync();

        var report = await DistributableSchema.CheckAsync(connection, transaction, "distributable_probe",
        [
            new("probe_countries", NonTenantPlacement.Reference, "reference data"),
            new("probe_runs", NonTenantPlacement.Local, "local bookkeeping"),
            new("probe_owners", NonTenantPlacement.Reference, "a reference table that wrongly references a tenant table"),
            new("probe_gone", NonTenantPlacement.Local, "a table that no longer exists"),
        ]);
        await transaction.RollbackAsync();

        var expected = new[]
        {
            "probe_users: unique index probe_users_email_key does not include tenant_id",
            "probe_keys: primary key probe_keys_pkey does not include tenant_id",
            "probe_tokens: unique constraint probe_tokens_hash_key does not include tenant_id",
            "probe_notes: tenant_id may be null",
            "probe_sessions: foreign key probe_sessions_user_fkey to probe_users does not pair tenant_id with probe_users.tenant_id",
            "probe_sessions: foreign key probe_sessions_run_fkey references the local table probe_runs",
            "probe_owners: foreign key probe_owners_user_fkey of this reference table references the tenant table probe_users",
            "probe_events: unique index probe_events_id_key does not include tenant_id",
            "probe_scratch: not classified",
            "probe_gone: listed as a non-tenant table but no such table exists",
        };
        foreach (var problem in expected)
            Assert.True(report.Problems.Any(p => p.StartsWith(problem, StringComparison.Ordinal)), $"Not reported: {problem}\nReported:\n{string.Join("\n", report.Problems)}");
        // Nothing else: not the partition's copy of the index, nor the keys that do distribute (users to tenants by id,
        // users to the reference table of countries).
        Assert.Equal(expected.Length, report.Problems.Count);
        Assert.Equal("id", report.TenantTables["probe_tenants"]);
        Assert.Equal("tenant_id", report.TenantTables["probe_events"]);
        Assert.DoesNotContain("probe_countries", report.TenantTables.Keys);
    }
}
