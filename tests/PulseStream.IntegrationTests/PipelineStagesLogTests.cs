using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// <c>Pulse:PipelineStagesLog=true</c>: the host logs, from its own meter, the time and items of every pipeline stage
/// (what the stored-end-to-end benchmark prints); off by default, so <c>./pulse up</c> logs nothing of it.
/// </summary>
public partial class PipelineStagesLogTests
{
    [Fact]
    public async Task The_host_logs_each_stage_with_the_events_it_handled_once_they_are_stored()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_stages", settings => settings["Pulse__PipelineStagesLog"] = "true");
        using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch(Enumerable.Range(0, 7).Select(_ => Payloads.Event()))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await host.StoredEventCountAsync() == 7, TimeSpan.FromSeconds(60)), host.Output);

        // The totals line follows within a log interval or two of the last stage.
        Assert.True(await LocalHostProcess.EventuallyAsync(() => Task.FromResult(
            Items(host.Output, "consumer.rollups.upsert") > 0 && Items(host.Output, "consumer.store") == 7), TimeSpan.FromSeconds(10)), host.Output);
        Assert.Equal(7, Items(host.Output, "edge.validate"));
        Assert.Equal(7, Items(host.Output, "edge.encode"));
        Assert.Equal(7, Items(host.Output, "consumer.decode"));
        Assert.Equal(7, Items(host.Output, "consumer.rollups.aggregate"));
        Assert.True(Items(host.Output, "log.append.commit") >= 1);
    }

    [Fact]
    public async Task Without_the_setting_the_host_logs_no_stage_totals()
    {
        await using var host = await LocalHostProcess.StartAsync("pulse_stages_off");
        using var response = await host.Http.SendAsync(host.Ingest("api/v1/events/batch", Payloads.Batch([Payloads.Event()])));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await LocalHostProcess.EventuallyAsync(async () => await host.StoredEventCountAsync() == 1, TimeSpan.FromSeconds(60)), host.Output);
        await Task.Delay(2_500); // two log intervals
        Assert.DoesNotContain("Pipeline stages:", host.Output);
    }

    /// <summary>The items of <paramref name="stage"/> in the last totals line, or -1 when there is none.</summary>
    private static long Items(string output, string stage)
    {
        var line = output.Split('\n').LastOrDefault(l => l.Contains("Pipeline stages: ", StringComparison.Ordinal));
        if (line is null) return -1;
        var match = StageTotal().Matches(line).FirstOrDefault(m => m.Groups[1].Value == stage);
        return match is null ? -1 : long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"([a-zA-Z.]+)=[0-9.]+s/([0-9]+);")]
    private static partial Regex StageTotal();
}
