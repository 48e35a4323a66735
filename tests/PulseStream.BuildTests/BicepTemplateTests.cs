using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace PulseStream.BuildTests;

/// <summary>
/// Compiles and lints <c>infra/main.bicep</c> offline with the Bicep CLI from NuGet, and checks the
/// compiled ARM template for the resources and app settings the function apps depend on.
/// </summary>
public sealed partial class BicepTemplateTests
{
    private static readonly TimeSpan BicepTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The app settings every function app must have: the names the C# code binds.</summary>
    private static readonly string[] RequiredAppSettings =
    [
        "PostgresConnection",
        "EventHubName",
        "EventHubConnection__fullyQualifiedNamespace",
        "EventHubConnection__credential",
        "EventHubConnection__clientId",
        "TablesConnection__endpoint",
        "TablesConnection__credential",
        "TablesConnection__clientId",
        "SignalRConnection",
        "Auth__SigningKey",
        "Secrets__ProtectionKey",
        "Operations__OperatorKey",
        "PostgresMigrationConnection",
        "Postgres__AppRole",
        "Postgres__AppRolePassword",
        "Auth__Issuer",
        "Auth__Audience",
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "AZURE_CLIENT_ID",
    ];

    private static readonly string[] KeyVaultReferenceSettings = ["PostgresConnection", "PostgresMigrationConnection", "Postgres__AppRolePassword", "SignalRConnection", "Auth__SigningKey", "Secrets__ProtectionKey", "Operations__OperatorKey"];

    private static readonly string[] ExpectedServices = ["alerts", "ingest", "realtime"];

    private static readonly Lazy<Task<JsonElement>> CompiledTemplate = new(CompileMainTemplateAsync);

    private static string RepoRoot => BuildMetadata.RepoRoot;

    private static string MainTemplatePath => Path.Combine(RepoRoot, "infra", "main.bicep");

    [Fact]
    public async Task Main_template_compiles_without_errors_or_warnings()
    {
        var result = await RunBicepAsync("build", MainTemplatePath, "--stdout");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.DoesNotContain("Warning", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Error", result.StandardError, StringComparison.Ordinal);
        using var template = JsonDocument.Parse(result.StandardOutput);
        Assert.Contains("deploymentTemplate.json", template.RootElement.GetProperty("$schema").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_template_passes_the_linter()
    {
        var result = await RunBicepAsync("lint", MainTemplatePath);

        Assert.True(result.ExitCode == 0, result.Describe());
        var output = result.StandardOutput + result.StandardError;
        Assert.DoesNotContain("Warning", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Error", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compiled_template_has_the_api_events_hub_with_alerts_and_realtime_consumer_groups()
    {
        var root = await CompiledTemplate.Value;

        var deployment = Assert.Single(ModuleDeployments(root), d => HasResource(d.Template, "Microsoft.EventHub/namespaces/eventhubs"));
        Assert.Equal("api-events", ParameterValue(deployment, "eventHubName").GetString());
        var consumerGroups = ParameterValue(deployment, "consumerGroups").EnumerateArray().Select(g => g.GetString()).ToList();
        Assert.Contains("alerts", consumerGroups);
        Assert.Contains("realtime", consumerGroups);
        Assert.True(HasResource(deployment.Template, "Microsoft.EventHub/namespaces/eventhubs/consumergroups"), "the module declares no consumer groups");

        var eventHubNamespace = Assert.Single(DeclaredResources(deployment.Template), r => TypeOf(r) == "Microsoft.EventHub/namespaces");
        var properties = eventHubNamespace.GetProperty("properties");
        Assert.True(properties.GetProperty("disableLocalAuth").GetBoolean());
        Assert.Equal("1.2", properties.GetProperty("minimumTlsVersion").GetString());
    }

    [Fact]
    public async Task Compiled_template_runs_SignalR_in_serverless_mode()
    {
        var root = await CompiledTemplate.Value;

        var signalR = Assert.Single(AllDeclaredResources(root), r => TypeOf(r) == "Microsoft.SignalRService/signalR");
        var features = signalR.GetProperty("properties").GetProperty("features").EnumerateArray()
            .ToDictionary(f => f.GetProperty("flag").GetString() ?? "", f => f.GetProperty("value").GetString());
        Assert.Equal("Serverless", features.GetValueOrDefault("ServiceMode"));
    }

    [Fact]
    public async Task Compiled_template_sends_SignalR_connected_events_to_the_realtime_apps_upstream_route()
    {
        var root = await CompiledTemplate.Value;

        var deployment = Assert.Single(ModuleDeployments(root), d => HasResource(d.Template, "Microsoft.SignalRService/signalR"));
        var template = ParameterValue(deployment, "connectionUpstreamUrlTemplate").GetString() ?? "";
        // An ARM format() expression: the service's own placeholders are escaped as {{hub}} and so on.
        Assert.Contains(".azurewebsites.net/api/signalr/upstream/{{hub}}/{{category}}/{{event}}", template, StringComparison.Ordinal);
        Assert.Contains("variables('names').realtime", template, StringComparison.Ordinal);

        var signalR = Assert.Single(DeclaredResources(deployment.Template), r => TypeOf(r) == "Microsoft.SignalRService/signalR");
        var templates = signalR.GetProperty("properties").GetProperty("upstream").GetProperty("templates").GetString() ?? "";
        foreach (var expected in new[] { "parameters('connectionUpstreamUrlTemplate')", "'hubPattern', 'pulse'", "'categoryPattern', 'connections'", "'eventPattern', 'connected,disconnected'" })
            Assert.Contains(expected, templates, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compiled_template_has_three_flex_consumption_function_apps_with_the_settings_the_code_reads()
    {
        var root = await CompiledTemplate.Value;

        var apps = ModuleDeployments(root).Where(d => DeclaredResources(d.Template).Any(IsFunctionApp)).ToList();

        Assert.Equal(3, apps.Count);
        Assert.Equal(ExpectedServices, apps.Select(a => ParameterValue(a, "serviceName").GetString() ?? "").Order(StringComparer.Ordinal));
        foreach (var app in apps)
        {
            var plan = Assert.Single(DeclaredResources(app.Template), r => TypeOf(r) == "Microsoft.Web/serverfarms");
            Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
            var site = Assert.Single(DeclaredResources(app.Template), IsFunctionApp);
            var runtime = site.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("runtime");
            Assert.Equal("dotnet-isolated", runtime.GetProperty("name").GetString());
            Assert.True(HasResource(app.Template, "Microsoft.Web/sites/config"), "the module does not apply its app settings");

            var settings = ParameterValue(app, "appSettings");
            Assert.Equal(JsonValueKind.Object, settings.ValueKind);
            var names = settings.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var missing = RequiredAppSettings.Where(required => !names.Contains(required)).ToList();
            Assert.True(missing.Count == 0, $"{ParameterValue(app, "serviceName").GetString()} lacks app settings {string.Join(", ", missing)}");

            Assert.Equal("api-events", Resolve(settings.GetProperty("EventHubName"), app.Scope).GetString());
            Assert.Equal("managedidentity", settings.GetProperty("EventHubConnection__credential").GetString());
            foreach (var reference in KeyVaultReferenceSettings)
            {
                Assert.Contains("@Microsoft.KeyVault(SecretUri=", settings.GetProperty(reference).GetString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Compiled_template_deploys_ACS_email_with_an_Azure_managed_domain_linked_to_the_communication_service()
    {
        var root = await CompiledTemplate.Value;

        var deployment = Assert.Single(ModuleDeployments(root), d => HasResource(d.Template, "Microsoft.Communication/emailServices"));
        Assert.Equal("[parameters('emailEnabled')]", deployment.Deployment.GetProperty("condition").GetString());
        var resources = DeclaredResources(deployment.Template).ToList();
        var domain = Assert.Single(resources, r => TypeOf(r) == "Microsoft.Communication/emailServices/domains");
        Assert.Contains("'AzureManagedDomain'", domain.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal("AzureManaged", domain.GetProperty("properties").GetProperty("domainManagement").GetString());
        var service = Assert.Single(resources, r => TypeOf(r) == "Microsoft.Communication/communicationServices");
        var linked = Assert.Single(service.GetProperty("properties").GetProperty("linkedDomains").EnumerateArray()).GetString() ?? "";
        Assert.Contains("Microsoft.Communication/emailServices/domains", linked, StringComparison.Ordinal);
        Assert.Contains("'AzureManagedDomain'", linked, StringComparison.Ordinal);
        foreach (var output in new[] { "endpoint", "senderAddress" })
            Assert.True(deployment.Template.GetProperty("outputs").GetProperty(output).GetProperty("metadata").TryGetProperty("description", out _), $"output {output} has no description");

        // Its access key goes into Key Vault from listKeys(), never through a parameter or an output.
        var vault = Assert.Single(ModuleDeployments(root), d => HasResource(d.Template, "Microsoft.KeyVault/vaults"));
        var secret = Assert.Single(DeclaredResources(vault.Template), r => TypeOf(r) == "Microsoft.KeyVault/vaults/secrets"
            && (r.GetProperty("name").GetString() ?? "").Contains("'acs-access-key'", StringComparison.Ordinal));
        Assert.Contains("listKeys(", secret.GetProperty("properties").GetProperty("value").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compiled_template_gives_only_the_alerts_app_the_ACS_email_settings()
    {
        var root = await CompiledTemplate.Value;

        var apps = ModuleDeployments(root).Where(d => DeclaredResources(d.Template).Any(IsFunctionApp))
            .ToDictionary(a => ParameterValue(a, "serviceName").GetString() ?? "");
        var alerts = ParameterValue(apps["alerts"], "additionalAppSettings");
        Assert.Equal(JsonValueKind.Object, alerts.ValueKind);
        Assert.Contains("'acs'", alerts.GetProperty("Email__Transport").GetString(), StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", alerts.GetProperty("Email__Acs__AccessKey").GetString(), StringComparison.Ordinal);
        Assert.Contains("acsAccessKeyUri", alerts.GetProperty("Email__Acs__AccessKey").GetString(), StringComparison.Ordinal);
        Assert.Contains("'endpoint'", alerts.GetProperty("Email__Acs__Endpoint").GetString(), StringComparison.Ordinal);
        Assert.Contains("'senderAddress'", alerts.GetProperty("Email__From").GetString(), StringComparison.Ordinal);

        foreach (var other in new[] { "ingest", "realtime" })
        {
            var parameters = apps[other].Deployment.GetProperty("properties").GetProperty("parameters");
            Assert.False(parameters.TryGetProperty("additionalAppSettings", out _), $"{other} gets the alerts app's settings");
            Assert.DoesNotContain(ParameterValue(apps[other], "appSettings").EnumerateObject(), p => p.Name.StartsWith("Email__", StringComparison.Ordinal));
        }

        // The module's app settings resource applies both objects.
        var config = Assert.Single(DeclaredResources(apps["alerts"].Template), r => TypeOf(r) == "Microsoft.Web/sites/config");
        Assert.Equal("[union(parameters('appSettings'), parameters('additionalAppSettings'))]", config.GetProperty("properties").GetString());
    }

    private static async Task<JsonElement> CompileMainTemplateAsync()
    {
        var result = await RunBicepAsync("build", MainTemplatePath, "--stdout");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.Describe());
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    /// <summary>A module deployment, the template it runs and the template that declares it.</summary>
    private sealed record ModuleDeployment(JsonElement Deployment, JsonElement Template, JsonElement Scope);

    /// <summary>Resources of a template: an array, or an object keyed by symbolic name (language version 2.0).</summary>
    private static List<JsonElement> Resources(JsonElement template)
    {
        if (!template.TryGetProperty("resources", out var resources))
        {
            return [];
        }

        return resources.ValueKind switch
        {
            JsonValueKind.Array => resources.EnumerateArray().ToList(),
            JsonValueKind.Object => resources.EnumerateObject().Select(p => p.Value).ToList(),
            _ => [],
        };
    }

    /// <summary>Resources the template creates (not <c>existing</c> references).</summary>
    private static IEnumerable<JsonElement> DeclaredResources(JsonElement template) =>
        Resources(template).Where(r => !(r.TryGetProperty("existing", out var existing) && existing.ValueKind == JsonValueKind.True));

    private static IEnumerable<ModuleDeployment> ModuleDeployments(JsonElement template)
    {
        foreach (var resource in Resources(template))
        {
            if (TypeOf(resource) == "Microsoft.Resources/deployments"
                && resource.TryGetProperty("properties", out var properties)
                && properties.TryGetProperty("template", out var nested))
            {
                yield return new ModuleDeployment(resource, nested, template);
                foreach (var inner in ModuleDeployments(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static IEnumerable<JsonElement> AllDeclaredResources(JsonElement root) =>
        DeclaredResources(root).Concat(ModuleDeployments(root).SelectMany(d => DeclaredResources(d.Template)));

    private static bool HasResource(JsonElement template, string type) => DeclaredResources(template).Any(r => TypeOf(r) == type);

    private static bool IsFunctionApp(JsonElement resource) =>
        TypeOf(resource) == "Microsoft.Web/sites"
        && resource.TryGetProperty("kind", out var kind)
        && kind.GetString() == "functionapp,linux";

    private static string? TypeOf(JsonElement resource) =>
        resource.TryGetProperty("type", out var type) ? type.GetString() : null;

    private static JsonElement ParameterValue(ModuleDeployment deployment, string name) =>
        Resolve(deployment.Deployment.GetProperty("properties").GetProperty("parameters").GetProperty(name).GetProperty("value"), deployment.Scope);

    /// <summary>Follows a bare <c>[variables('x')]</c> expression to the variable's value in the declaring template.</summary>
    private static JsonElement Resolve(JsonElement value, JsonElement scope)
    {
        if (value.ValueKind == JsonValueKind.String
            && VariableExpression().Match(value.GetString() ?? "") is { Success: true } match
            && scope.TryGetProperty("variables", out var variables)
            && variables.TryGetProperty(match.Groups[1].Value, out var variable))
        {
            return Resolve(variable, scope);
        }

        return value;
    }

    [GeneratedRegex(@"^\[variables\('([^']+)'\)\]$")]
    private static partial Regex VariableExpression();

    private static string BicepPath()
    {
        var path = BuildMetadata.Get("BicepPath");
        if (!OperatingSystem.IsWindows())
        {
            // The package's MSBuild props join the path with backslashes.
            path = path.Replace('\\', '/');
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }

    private static Task<ExternalProcess.Result> RunBicepAsync(params string[] arguments) =>
        ExternalProcess.RunAsync(BicepPath(), arguments, Path.Combine(RepoRoot, "infra"), BicepTimeout);
}
