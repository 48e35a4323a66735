using System.Net;
using System.Text.Json;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>A read that runs out of its time budget answers 503 with Retry-After instead of hanging.</summary>
public sealed class QueryBudgetTests : IAsyncLifetime
{
    private LocalHostProcess _host = null!;

    // A budget no read can meet: every statement is cancelled at once.
    public async Task InitializeAsync() => _host = await LocalHostProcess.StartAsync("pulse_budget", s => s["Query__Budget"] = "00:00:00.001");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("api/v1/dashboard/overview?window=30d")]
    [InlineData("api/v1/metrics/timeseries?metric=latency_p95&window=7d&step=1h")]
    [InlineData("api/v1/routes?window=24h")]
    [InlineData("api/v1/consumers?window=24h")]
    [InlineData("api/v1/export?dataset=routes&window=24h")]
    public async Task A_read_over_its_budget_answers_503_with_retry_after(string path)
    {
        var token = await _host.LoginAsync();
        using var response = await _host.Http.SendAsync(_host.Authorized(HttpMethod.Get, path, token));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.EndsWith("/unavailable", problem.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("budget", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
