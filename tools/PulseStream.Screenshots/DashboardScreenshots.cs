using System.Text.Json;
using Microsoft.Playwright;
using PulseStream.Testing;

namespace PulseStream.Screenshots;

/// <summary>
/// Photographs the dashboard's main views from a real local host running the demo (its 24 hours of history and live
/// traffic with an error burst), signed in as the demo Owner, into <c>docs/screenshots/</c>. Run by
/// <c>./pulse screenshots</c>, so the pictures in the README and docs show the dashboard as it is.
/// </summary>
public static class DashboardScreenshots
{
    private static readonly TimeSpan HistoryTimeout = TimeSpan.FromMinutes(8);

    private sealed record Shot(string Name, string View, string Hash, string Caption);

    public static async Task<int> RunAsync(string[] args)
    {
        var outDir = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(TestEnvironment.RepoRoot, "docs", "screenshots");
        Directory.CreateDirectory(outDir);
        await using var host = await LocalHostProcess.StartAsync("pulse_screenshots", s => s["Pulse__DemoTraffic"] = "true");
        Console.WriteLine($"Local host on {host.BaseUrl}; waiting for the demo's 24 hours of history");
        if (!await LocalHostProcess.EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(host.StateDir, "demo-history.json"))), HistoryTimeout))
        {
            Console.Error.WriteLine("The demo history was not filled in time:\n" + host.Output);
            return 1;
        }
        // The live traffic's first error burst starts 20 s in and fires the demo rule; the stored events catch up.
        await LocalHostProcess.EventuallyAsync(async () => await host.UnconsumedMessagesAsync() == 0, TimeSpan.FromMinutes(5));
        await Task.Delay(TimeSpan.FromSeconds(40));

        var token = await host.LoginAsync();
        // A key made and revoked, as the issue's walk-through does, so the audit log's picture shows both changes.
        var (_, key) = await host.SendJsonAsync(HttpMethod.Post, "api/v1/api-keys", token, new { name = "ci pipeline" });
        await host.SendJsonAsync(HttpMethod.Delete, $"api/v1/api-keys/{key.GetProperty("id").GetString()}", token);
        var shots = await ShotsAsync(host, token);

        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            TimezoneId = "Europe/Berlin",
            ColorScheme = ColorScheme.Dark,
        });
        await page.GotoAsync(new Uri(host.BaseUrl, "dashboard/").ToString());
        await page.FillAsync("#login-email", host.Demo.Email);
        await page.FillAsync("#login-password", host.Demo.Password);
        await page.ClickAsync("#login-submit");
        await page.Locator("#nav").WaitForAsync(new() { Timeout = 60_000 });

        var taken = new List<Shot>();
        foreach (var shot in shots)
        {
            await page.EvaluateAsync("h => { location.hash = h; }", shot.Hash);
            // A view this build does not have falls back to the overview: it is left out rather than mislabelled.
            if (await page.Locator("#view").GetAttributeAsync("data-view") != shot.View)
            {
                Console.WriteLine($"  {shot.Name}: no '{shot.View}' view in this build, skipped");
                continue;
            }
            await SettleAsync(page);
            var file = Path.Combine(outDir, shot.Name + ".png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = false });
            taken.Add(shot);
            Console.WriteLine($"  {shot.Name}: {Path.GetRelativePath(TestEnvironment.RepoRoot, file)}");
        }
        await File.WriteAllTextAsync(Path.Combine(outDir, "README.md"), Index(taken));
        Console.WriteLine($"{taken.Count} screenshots in {outDir}");
        return taken.Count == shots.Count ? 0 : 2;
    }

    /// <summary>The views to photograph; the route and consumer pages are the demo's noisiest.</summary>
    private static async Task<List<Shot>> ShotsAsync(LocalHostProcess host, string token)
    {
        var routes = await host.GetJsonAsync("api/v1/routes?window=24h&limit=200", token);
        var noisiest = routes.GetProperty("items").EnumerateArray()
            .OrderByDescending(r => r.GetProperty("requests").GetDouble() * r.GetProperty("errorRate").GetDouble()).First();
        var consumers = await host.GetJsonAsync("api/v1/consumers?window=24h&sort=errorRate", token);
        var consumer = consumers.GetProperty("items").EnumerateArray().First().GetProperty("consumerId").GetString()!;
        var rules = await host.GetJsonAsync("api/v1/alert-rules", token);
        var rule = Items(rules).First().GetProperty("id").GetString();
        var route = Uri.EscapeDataString(noisiest.GetProperty("route").GetString()!);
        var method = noisiest.GetProperty("method").GetString();
        return
        [
            new("overview", "overview", "#/overview?window=24h", "Overview over 24 hours: tiles, charts, status classes, top routes, firing alerts"),
            new("routes", "routes", "#/routes?window=24h", "Routes: every route with its rate, errors, latency percentiles, bytes and sparkline"),
            new("route", "routes", $"#/routes?route={route}&method={method}&window=24h", "A route's page: its series, status breakdown, top consumers and recent events"),
            new("consumers", "consumers", "#/consumers?window=24h", "Consumers: the tenant's own customers, their traffic and errors"),
            new("consumer", "consumers", $"#/consumers?consumer={Uri.EscapeDataString(consumer)}&window=24h", "A consumer's page"),
            new("live", "live", "#/live?status=5xx", "The live tail filtered to 5xx"),
            new("alerts", "alerts", "#/alerts", "Alerts with their state, severity and timeline"),
            new("rule", "rules", $"#/rules?id={rule}", "The rule editor with its preview over past data"),
            new("keys", "keys", "#/keys", "API keys"),
            new("members", "members", "#/members", "Members and their roles"),
            new("audit", "audit", "#/audit", "The audit log"),
            new("connections", "connections", "#/connections", "Open live dashboards per member"),
            new("settings", "settings", "#/settings", "Settings: retention per tier, limits and the current rate"),
        ];
    }

    private static IEnumerable<JsonElement> Items(JsonElement body) =>
        body.ValueKind == JsonValueKind.Array ? body.EnumerateArray() : body.GetProperty("items").EnumerateArray();

    /// <summary>Until nothing in the view is loading, then a moment for charts to draw and live rows to arrive.</summary>
    private static async Task SettleAsync(IPage page)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && await page.Locator("#view [data-state=loading]").CountAsync() > 0)
            await page.WaitForTimeoutAsync(250);
        await page.WaitForTimeoutAsync(2500);
    }

    private static string Index(List<Shot> shots) =>
        "# Dashboard screenshots\n\nTaken by `./pulse screenshots` from a local host running the demo (24 hours of history and live traffic), " +
        "in a 1440×900 window, times in Europe/Berlin. Re-run it after changing a view.\n\n" +
        string.Concat(shots.Select(s => $"## {s.Caption}\n\n![{s.Caption}]({s.Name}.png)\n\n"));
}
