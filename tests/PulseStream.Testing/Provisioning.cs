using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Alerting;
using PulseStream.Identity;
using PulseStream.Notifications;
using PulseStream.Storage;
using PulseStream.Tenancy;

namespace PulseStream.Testing;

/// <summary>Creates tenants and channels in a local host's stores the way the product does (its own provisioner).</summary>
public static class Provisioning
{
    public static TenantProvisioner For(LocalHostProcess host)
    {
        var database = new Database(NpgsqlDataSource.Create(host.ConnectionString));
        return new TenantProvisioner(database, new PasswordHasher(), new ApiKeyEdgeStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System),
            new SecretProtector(Options.Create(new SecretOptions { ProtectionKey = host.ProtectionKey })), new AlertRuleStore(database, TimeProvider.System, new TenantLimitsStore(new TableServiceClient(TestEnvironment.Tables), TimeProvider.System)));
    }
}
