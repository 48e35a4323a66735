using System.Text.Json;

namespace PulseStream.BuildTests;

/// <summary>Reads the functions.metadata the worker SDK generated for each app, as the Functions host will.</summary>
public class FunctionMetadataTests
{
    private static JsonElement[] Functions(string app)
    {
        var path = Path.Combine(BuildMetadata.RepoRoot, "src", $"Functions.{app}", "bin", BuildMetadata.Get("Configuration"), "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} was not generated");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToArray();
    }

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Theory]
    [InlineData("Alerts", "PersistEvents", "alerts")]
    [InlineData("Realtime", "FanOutEvents", "realtime")]
    public void Event_hub_functions_have_the_official_event_hub_trigger_binding_shape(string app, string function, string consumerGroup)
    {
        var binding = Trigger(Functions(app).Single(f => f.GetProperty("name").GetString() == function));
        Assert.Equal("eventHubTrigger", binding.GetProperty("type").GetString());
        Assert.Equal("In", binding.GetProperty("direction").GetString());
        Assert.Equal("%EventHubName%", binding.GetProperty("eventHubName").GetString());
        Assert.Equal("EventHubConnection", binding.GetProperty("connection").GetString());
        Assert.Equal(consumerGroup, binding.GetProperty("consumerGroup").GetString());
        Assert.Equal("Many", binding.GetProperty("cardinality").GetString(), ignoreCase: true);
    }

    [Theory]
    [InlineData("Ingest", "v1/events", "post")]
    [InlineData("Ingest", "v1/events/batch", "post")]
    [InlineData("Alerts", "v1/alert-rules", "get")]
    [InlineData("Alerts", "v1/alerts", "get")]
    [InlineData("Realtime", "api/v1/auth/login", "post")]
    [InlineData("Realtime", "api/negotiate", "post")]
    [InlineData("Realtime", "api/v1/dashboard/overview", "get")]
    [InlineData("Realtime", "dashboard/{*path}", "get")]
    public void Http_functions_are_described_with_their_routes(string app, string route, string method)
    {
        var triggers = Functions(app).Select(Trigger).Where(t => t.GetProperty("type").GetString() == "httpTrigger");
        Assert.Contains(triggers, t => t.GetProperty("route").GetString() == route
            && t.GetProperty("methods").EnumerateArray().Any(m => m.GetString() == method));
    }

    [Fact]
    public void Timer_functions_have_six_field_schedules()
    {
        var timers = Functions("Alerts").Select(Trigger).Where(t => t.GetProperty("type").GetString() == "timerTrigger").ToList();
        // Notifications, due rules, the 15-second sweep, retention, the release of held notifications, escalation, notification groups,
        // maintenance summaries, anomaly baselines.
        Assert.Equal(9, timers.Count);
        Assert.All(timers, t => Assert.Equal(6, t.GetProperty("schedule").GetString()!.Split(' ').Length));
    }

    [Fact]
    public void The_default_build_does_not_declare_the_event_hubs_host_extension()
    {
        // The feed lacks the extension; only -p:CloudBuild=true declares it (DESIGN.md §4.1).
        var extensions = Path.Combine(BuildMetadata.RepoRoot, "src", "Functions.Alerts", "obj", BuildMetadata.Get("Configuration"), "net10.0", "WorkerExtensions", "WorkerExtensions.csproj");
        Assert.True(File.Exists(extensions));
        Assert.DoesNotContain("Microsoft.Azure.WebJobs.Extensions.EventHubs", File.ReadAllText(extensions));
    }
}
