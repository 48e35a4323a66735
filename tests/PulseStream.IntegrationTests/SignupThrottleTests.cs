using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PulseStream.Testing;
using Xunit.Abstractions;

namespace PulseStream.IntegrationTests;

/// <summary>A local host with the product's default signup limits.</summary>
public sealed class DefaultLimitsFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_signup");
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Anonymous signup is throttled per client address and overall, before the password is hashed.</summary>
public class SignupThrottleTests(DefaultLimitsFixture fixture) : IClassFixture<DefaultLimitsFixture>
{
    private LocalHostProcess Host => fixture.Host;

    [Fact]
    public async Task Signups_from_one_address_beyond_its_hourly_limit_are_refused_with_429_and_Retry_After_and_create_nothing()
    {
        // The default: 5 an hour per address (the tests' client is 127.0.0.1).
        for (var i = 0; i < 5; i++)
        {
            using var ok = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = $"Ok {i}", email = $"ok-{i}-{Guid.NewGuid():N}@example.com", password = "a long password 123" });
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        // An invalid signup is still told what is wrong (it costs nothing and uses no place).
        using (var invalid = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Weak", email = $"w-{Guid.NewGuid():N}@example.com", password = "short" }))
            await IngestPipelineTests.AssertProblem(invalid, HttpStatusCode.BadRequest, "invalid-signup");

        var email = $"refused-{Guid.NewGuid():N}@example.com";
        using var refused = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "One too many", email, password = "a long password 123" });
        await IngestPipelineTests.AssertProblem(refused, HttpStatusCode.TooManyRequests, "too-many-signups");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 60, 3600); // one place comes back every 12 minutes
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM users WHERE lower(email) = lower($1)", email));
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM tenants WHERE name = 'One too many'"));

        // Answered again from the instance's memory, with the remaining wait.
        using var again = await Host.Http.PostAsJsonAsync("api/v1/auth/signup", new { tenantName = "Again", email = $"again-{Guid.NewGuid():N}@example.com", password = "a long password 123" });
        await IngestPipelineTests.AssertProblem(again, HttpStatusCode.TooManyRequests, "too-many-signups");
        Assert.InRange(int.Parse(again.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, retryAfter);
    }
}

/// <summary>The flood runs alone: other CPU-heavy tests beside it would measure them, not the throttle.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SignupFloodCollection
{
    public const string Name = "signup flood";
}

/// <summary>A local host whose per-address limit is lifted, so one test client can exercise the overall limit.</summary>
public sealed class SignupFloodFixture : IAsyncLifetime
{
    public LocalHostProcess Host { get; private set; } = null!;
    public async Task InitializeAsync() => Host = await LocalHostProcess.StartAsync("pulse_flood", settings => settings["Auth__Signup__PerAddressPerHour"] = "1000000");
    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[Collection(SignupFloodCollection.Name)]
public class SignupThrottleFloodTests(SignupFloodFixture fixture, ITestOutputHelper output) : IClassFixture<SignupFloodFixture>
{
    private LocalHostProcess Host => fixture.Host;
    private const int Clients = 16;

    private async Task<double> LoginSecondsAsync(HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("api/v1/auth/login", new { email = Host.Demo.Email, password = Host.Demo.Password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return watch.Elapsed.TotalSeconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    [Fact]
    public async Task Login_latency_stays_within_twice_idle_during_a_signup_flood()
    {
        using var logins = new HttpClient { BaseAddress = Host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        await LoginSecondsAsync(logins); // warm
        var idle = new List<double>();
        for (var i = 0; i < 7; i++) idle.Add(await LoginSecondsAsync(logins));

        // Many clients sign up as fast as they are answered, ignoring Retry-After, for a bounded time.
        using var flooders = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients }) { BaseAddress = Host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        var answers = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var flood = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 2000; i++)
            {
                using var response = await flooders.PostAsJsonAsync("api/v1/auth/signup",
                    new { tenantName = $"Flood {c}-{i}", email = $"flood-{c}-{i}-{Guid.NewGuid():N}@example.com", password = "a long password 123" });
                answers.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    Assert.EndsWith("/too-many-signups", problem.RootElement.GetProperty("type").GetString());
                    Assert.True(response.Headers.Contains("Retry-After"));
                }
            }
        })).ToList();

        var flooding = Stopwatch.StartNew();
        await Task.Delay(1000); // the flood is under way
        var flooded = new List<double>();
        for (var i = 0; i < 7; i++) flooded.Add(await LoginSecondsAsync(logins));
        await stop.CancelAsync();
        await Task.WhenAll(flood);
        var floodSeconds = flooding.Elapsed.TotalSeconds;
        // Idle again: the machine's other load drifts, so idle is measured on both sides of the flood.
        for (var i = 0; i < 7; i++) idle.Add(await LoginSecondsAsync(logins));

        var created = answers.Count(a => a == HttpStatusCode.Created);
        var refused = answers.Count(a => a == HttpStatusCode.TooManyRequests);
        static string List(IEnumerable<double> values) => string.Join(' ', values.Select(v => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));
        output.WriteLine($"login median idle {Median(idle):F3} s, during the flood {Median(flooded):F3} s; flood of {floodSeconds:F1} s: {answers.Count} signups, {created} created, {refused} refused (429); logins idle {List(idle)}, flooded {List(flooded)}");
        Assert.Equal(answers.Count, created + refused);
        Assert.InRange(created, 1, 5 + (int)(floodSeconds / 3) + 1); // the overall limit: a burst of 5, then one every 3 s
        Assert.True(refused > 0);
        Assert.True(Median(flooded) <= 2 * Median(idle), $"login median {Median(flooded):F3} s during the flood, {Median(idle):F3} s idle");
    }
}
