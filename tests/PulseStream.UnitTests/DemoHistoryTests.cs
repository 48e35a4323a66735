using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PulseStream.LocalHost;
using PulseStream.LocalHost.Demo;

namespace PulseStream.UnitTests;

/// <summary>The demo's past (<c>./pulse up --demo-traffic</c>): the last 24 hours on a first start, only the gap after that.</summary>
public sealed class DemoHistoryTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-02T12:00:00Z");
    private readonly string _stateDir = Directory.CreateTempSubdirectory("pulse-demo-history-").FullName;
    private readonly FakeTimeProvider _clock = new(Start);

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    private sealed class IngestRecorder : HttpMessageHandler
    {
        public List<JsonElement> Events { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var doc = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            lock (Events) Events.AddRange(doc.RootElement.GetProperty("events").EnumerateArray().Select(e => e.Clone()));
            return new HttpResponseMessage(HttpStatusCode.Accepted);
        }
    }

    private DemoHistory History() => new(new LocalHostPaths(_stateDir, new Uri("http://127.0.0.1:1/")), _clock, NullLogger.Instance, TimeSpan.Zero);

    private static object Ordinary(Random random, DateTimeOffset at) => new { timestamp = at, method = "GET", path = "/v1/products", statusCode = 200, latencyMs = 12 };

    private static async Task<List<JsonElement>> FillAsync(DemoHistory history, DateTimeOffset until)
    {
        var recorder = new IngestRecorder();
        using var http = new HttpClient(recorder) { BaseAddress = new Uri("http://127.0.0.1:1/") };
        await history.FillAsync(http, until, Ordinary, CancellationToken.None);
        return recorder.Events;
    }

    private static DateTimeOffset At(JsonElement e) => e.GetProperty("timestamp").GetDateTimeOffset();

    [Fact]
    public async Task A_first_start_fills_the_last_24_hours_at_a_daily_rhythm_with_one_incident_hour()
    {
        var events = await FillAsync(History(), Start);

        Assert.All(events, e => Assert.InRange(At(e), Start - DemoHistory.Depth, Start.AddTicks(-1)));
        Assert.True(events.Min(At) < Start - TimeSpan.FromHours(23.9), "the fill starts 24 hours back");
        // Quiet at 04:00 UTC, busy at 16:00 UTC.
        int InHour(int hour) => events.Count(e => At(e).UtcDateTime.Hour == hour);
        Assert.True(InHour(16) > 4 * InHour(4), $"16:00 has {InHour(16)} events, 04:00 {InHour(4)}");
        // Six to seven hours ago, checkout failed for one partner.
        var incident = events.Where(e => At(e) > Start - TimeSpan.FromHours(7) && At(e) <= Start - TimeSpan.FromHours(6)).ToList();
        Assert.Contains(incident, e => e.GetProperty("statusCode").GetInt32() >= 500 && e.GetProperty("route").GetString() == "/v1/checkout");
        Assert.DoesNotContain(events.Except(incident), e => e.GetProperty("statusCode").GetInt32() >= 500);
    }

    [Fact]
    public async Task A_later_start_fills_only_the_gap_since_the_demo_last_ran()
    {
        var history = History();
        await FillAsync(history, Start);
        history.Covered(Start.AddMinutes(30), force: true);

        var gap = await FillAsync(History(), Start.AddHours(2));

        Assert.NotEmpty(gap);
        Assert.All(gap, e => Assert.InRange(At(e), Start.AddMinutes(30), Start.AddHours(2)));
        Assert.Empty(await FillAsync(History(), Start.AddHours(2)));
    }
}
