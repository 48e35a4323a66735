using System.Net;
using System.Text.Json;
using Npgsql;
using PulseStream.Alerting.Routing;
using PulseStream.Storage;
using PulseStream.Testing;

namespace PulseStream.IntegrationTests;

/// <summary>
/// Maintenance windows through the API of a real host (issue 14 §4): read back as written, checked field by field,
/// at most 200 a tenant even when created at once, read by Viewers and written by Admins only, hidden from other
/// tenants, audited with before and after, their occurrences in UTC across clock changes, and muting through
/// <see cref="AlertMuting.FindAsync"/> the alerts they match while an occurrence runs.
/// </summary>
public class MaintenanceWindowTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private LocalHostProcess Host => fixture.Host;

    private static object Body(string name = "Reports upgrade", string rrule = "FREQ=MONTHLY;BYDAY=1SU", string start = "2027-01-03T02:00:00",
        string duration = "2h", string timeZone = "Europe/Berlin", string[]? exceptions = null, object? matchers = null, bool summaryAtEnd = true) => new
    {
        name, rrule, start, duration, timeZone, exceptions = exceptions ?? [],
        matchers = matchers ?? new[] { new { name = "route", op = "=~", value = "/v1/reports/.*" } },
        summaryAtEnd,
    };

    private async Task<Guid> CreateAsync(string token, object body)
    {
        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", token, body);
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {created}");
        return created.GetProperty("id").GetGuid();
    }

    private async Task<List<(DateTimeOffset Start, DateTimeOffset End)>> OccurrencesAsync(string token, Guid id, string query)
    {
        var (status, body) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/maintenance-windows/{id}/occurrences{query}", token);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status} {body}");
        return body.GetProperty("items").EnumerateArray().Select(o => (o.GetProperty("start").GetDateTimeOffset(), o.GetProperty("end").GetDateTimeOffset())).ToList();
    }

    [Fact]
    public async Task A_window_is_read_back_as_written_read_by_viewers_written_by_admins_replaced_deleted_and_audited()
    {
        var owner = await People.SignupAsync(Host, "Maintenance Co");
        var admin = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "admin");
        var viewer = await People.InviteAndAcceptAsync(Host, owner.AccessToken, "viewer");

        var (status, created) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", admin.AccessToken,
            Body(name: "  Reports upgrade ", duration: "120m", exceptions: ["2027-03-07T02:00:00", "2027-02-07T02:00:00"]));
        Assert.True(status == HttpStatusCode.Created, $"{(int)status} {created}");
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("Reports upgrade", created.GetProperty("name").GetString());
        Assert.Equal("FREQ=MONTHLY;BYDAY=1SU", created.GetProperty("rrule").GetString());
        Assert.Equal("2027-01-03T02:00:00", created.GetProperty("start").GetString());
        Assert.Equal("2h", created.GetProperty("duration").GetString());
        Assert.Equal("Europe/Berlin", created.GetProperty("timeZone").GetString());
        Assert.Equal(["2027-02-07T02:00:00", "2027-03-07T02:00:00"], created.GetProperty("exceptions").EnumerateArray().Select(e => e.GetString()));
        Assert.True(created.GetProperty("summaryAtEnd").GetBoolean());
        Assert.Equal(admin.Id, created.GetProperty("createdBy").GetProperty("userId").GetGuid());
        var matcher = Assert.Single(created.GetProperty("matchers").EnumerateArray().ToList());
        Assert.Equal(("route", "=~", "/v1/reports/.*"), (matcher.GetProperty("name").GetString(), matcher.GetProperty("op").GetString(), matcher.GetProperty("value").GetString()));
        // Not running now; the next occurrence is the first Sunday of January 2027 at 02:00 CET (01:00 UTC), the two exceptions skipped later.
        Assert.Equal(JsonValueKind.Null, created.GetProperty("currentOccurrence").ValueKind);
        Assert.Equal(DateTimeOffset.Parse("2027-01-03T01:00:00Z"), created.GetProperty("nextOccurrence").GetProperty("start").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2027-01-03T03:00:00Z"), created.GetProperty("nextOccurrence").GetProperty("end").GetDateTimeOffset());
        Assert.Equal(1, await Host.ScalarAsync("SELECT count(*) FROM maintenance_windows WHERE tenant_id = $1 AND start_local = '2027-01-03 02:00' AND duration = '2 hours'", owner.TenantId));

        // A viewer reads the list, the window and its occurrences, and can write none of it.
        var listed = Assert.Single((await Host.GetJsonAsync("api/v1/maintenance-windows", viewer.AccessToken)).GetProperty("items").EnumerateArray());
        Assert.Equal(created.ToString(), listed.ToString());
        Assert.Equal(created.ToString(), (await Host.GetJsonAsync($"api/v1/maintenance-windows/{id}", viewer.AccessToken)).ToString());
        // January and April: February and March are the exceptions.
        Assert.Equal(2, (await OccurrencesAsync(viewer.AccessToken, id, "?from=2027-01-01T00:00:00Z&to=2027-05-01T00:00:00Z")).Count);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", viewer.AccessToken, Body(name: "Viewer's"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/maintenance-windows/{id}", viewer.AccessToken, Body())).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/maintenance-windows/{id}", viewer.AccessToken)).Status);

        // A name is unique per tenant, whatever its case.
        var (taken, takenProblem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", owner.AccessToken, Body(name: "REPORTS UPGRADE"));
        Assert.Equal(HttpStatusCode.Conflict, taken);
        Assert.EndsWith("/maintenance-window-name-taken", takenProblem.GetProperty("type").GetString());

        // PUT replaces the whole body; the author and creation time stay.
        var (replacedStatus, replaced) = await Host.SendJsonAsync(HttpMethod.Put, $"api/v1/maintenance-windows/{id}", owner.AccessToken, Body(
            name: "Search reindex", rrule: "FREQ=WEEKLY;BYDAY=SA", start: "2027-01-02T22:00:00", duration: "90m", timeZone: "America/New_York",
            matchers: new[] { new { name = "route", op = "=", value = "/v1/search" }, new { name = "severity", op = "!=", value = "critical" } }, summaryAtEnd: false));
        Assert.True(replacedStatus == HttpStatusCode.OK, $"{(int)replacedStatus} {replaced}");
        Assert.Equal(("Search reindex", "90m", "America/New_York", false), (replaced.GetProperty("name").GetString(), replaced.GetProperty("duration").GetString(),
            replaced.GetProperty("timeZone").GetString(), replaced.GetProperty("summaryAtEnd").GetBoolean()));
        Assert.Empty(replaced.GetProperty("exceptions").EnumerateArray());
        Assert.Equal(2, replaced.GetProperty("matchers").GetArrayLength());
        Assert.Equal(admin.Id, replaced.GetProperty("createdBy").GetProperty("userId").GetGuid());
        Assert.Equal(created.GetProperty("createdAt").GetDateTimeOffset(), replaced.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(replaced.ToString(), (await Host.GetJsonAsync($"api/v1/maintenance-windows/{id}", viewer.AccessToken)).ToString());

        // Another tenant finds nothing by this id, to read, list occurrences of, replace or delete.
        var stranger = await People.SignupAsync(Host, "Stranger Maintenance Co");
        Assert.Empty((await Host.GetJsonAsync("api/v1/maintenance-windows", stranger.AccessToken)).GetProperty("items").EnumerateArray());
        foreach (var (method, path) in new[] { (HttpMethod.Get, ""), (HttpMethod.Get, "/occurrences"), (HttpMethod.Put, ""), (HttpMethod.Delete, "") })
            Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(method, $"api/v1/maintenance-windows/{id}{path}", stranger.AccessToken,
                method == HttpMethod.Put ? Body(name: "Mine now") : null)).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/maintenance-windows/{id}", owner.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/maintenance-windows/{id}", owner.AccessToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/maintenance-windows/{id}", owner.AccessToken)).Status);
        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM maintenance_windows WHERE tenant_id = $1", owner.TenantId));

        // Each change once in the audit log, by whom, with the window before and after.
        async Task<long> AuditedAsync(string action, Guid actor, string condition) => await Host.ScalarAsync(
            $"SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 AND target_type = 'maintenance_window' AND target_id = $3 AND actor_id = $4 AND {condition}",
            owner.TenantId, action, id.ToString(), actor.ToString());
        Assert.Equal(1, await AuditedAsync("maintenance_window.create", admin.Id,
            "summary->'before' IS NULL AND summary->'after'->>'name' = 'Reports upgrade' AND summary->'after'->>'timeZone' = 'Europe/Berlin' AND summary->'after'->'matchers'->0->>'value' = '/v1/reports/.*'"));
        Assert.Equal(1, await AuditedAsync("maintenance_window.update", owner.Id,
            "summary->'before'->>'name' = 'Reports upgrade' AND summary->'after'->>'name' = 'Search reindex' AND summary->'after'->>'duration' = '90m'"));
        Assert.Equal(1, await AuditedAsync("maintenance_window.delete", owner.Id, "summary->'before'->>'name' = 'Search reindex' AND summary->'after' IS NULL"));
        Assert.Equal(3, await Host.ScalarAsync("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND target_id = $2", owner.TenantId, id.ToString()));
    }

    [Fact]
    public async Task An_invalid_window_is_refused_naming_each_wrong_field()
    {
        var owner = await People.SignupAsync(Host, "Strict Maintenance Co");

        async Task<Dictionary<string, string>> ErrorsAsync(object body)
        {
            var (status, problem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", owner.AccessToken, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status} {problem}");
            Assert.EndsWith("/invalid-maintenance-window", problem.GetProperty("type").GetString());
            return problem.GetProperty("errors").EnumerateArray().ToDictionary(e => e.GetProperty("field").GetString()!, e => e.GetProperty("message").GetString()!);
        }

        var errors = await ErrorsAsync(new
        {
            name = "", rrule = "FREQ=HOURLY", start = "2027-01-03 02:00", duration = "30s", timeZone = "Mars/Olympus", exceptions = new[] { "first sunday" },
            matchers = new object[] { new { name = "route", op = "=~", value = "(" }, new { name = "host", op = "=", value = "a" } },
        });
        Assert.Equal(["duration", "exceptions", "matchers[0]", "matchers[1]", "name", "rrule", "start", "timeZone"], errors.Keys.Order());
        Assert.Contains("DAILY, WEEKLY, MONTHLY or YEARLY", errors["rrule"]);
        Assert.Contains("without offset", errors["start"]);
        Assert.Contains("between 1m and 7d", errors["duration"]);
        Assert.Contains("IANA", errors["timeZone"]);

        // Each field alone, the rest valid.
        Assert.Equal(["duration"], (await ErrorsAsync(Body(duration: "8d"))).Keys);
        Assert.Equal(["start"], (await ErrorsAsync(Body(start: "2027-01-03T02:00:00+01:00"))).Keys);
        Assert.Equal(["rrule"], (await ErrorsAsync(Body(rrule: "FREQ=DAILY;BYHOUR=3"))).Keys);
        Assert.Equal(["rrule"], (await ErrorsAsync(Body(rrule: "not a rule"))).Keys);
        // A rule that parses but can never happen (30 February) is refused, rather than stored to fail every later read.
        Assert.Contains("never happens", (await ErrorsAsync(Body(rrule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")))["rrule"]);
        Assert.Equal(["start"], (await ErrorsAsync(Body(start: "9999-12-31T23:00:00"))).Keys);
        Assert.Equal(["name"], (await ErrorsAsync(Body(name: new string('n', 101)))).Keys);
        Assert.Equal(["exceptions"], (await ErrorsAsync(Body(exceptions: Enumerable.Range(0, 101).Select(d => $"2027-01-03T02:{d % 60:00}:00").ToArray()))).Keys);
        Assert.Equal(["matchers"], (await ErrorsAsync(Body(matchers: Array.Empty<object>()))).Keys);
        // Matchers that would match every alert are refused, as for silences.
        Assert.Equal(["matchers"], (await ErrorsAsync(Body(matchers: new[] { new { name = "rule", op = "=~", value = ".*" } }))).Keys);
        var (missing, missingProblem) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", owner.AccessToken, new { });
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal(6, missingProblem.GetProperty("errors").GetArrayLength());

        Assert.Equal(0, await Host.ScalarAsync("SELECT count(*) FROM maintenance_windows WHERE tenant_id = $1", owner.TenantId));
        // The bounds themselves are accepted: 1m and 7d.
        await CreateAsync(owner.AccessToken, Body(name: "Shortest", duration: "1m"));
        await CreateAsync(owner.AccessToken, Body(name: "Longest", duration: "7d"));
    }

    [Fact]
    public async Task Concurrent_creates_stop_at_200_windows_a_tenant_and_a_delete_frees_a_place()
    {
        var owner = await People.SignupAsync(Host, "Busy Maintenance Co");
        Assert.Equal(199, await Host.ScalarAsync("""
            WITH made AS (
                INSERT INTO maintenance_windows (tenant_id, id, name, rrule, start_local, duration, time_zone, matchers, created_by, created_at, updated_at)
                SELECT $1, gen_random_uuid(), 'Window ' || g, 'FREQ=DAILY', '2027-01-01 02:00', interval '1 hour', 'UTC',
                       '[{"name":"route","op":"=","value":"/v1/x"}]'::jsonb, $2, now(), now()
                FROM generate_series(1, 199) g
                RETURNING 1)
            SELECT count(*) FROM made
            """, owner.TenantId, owner.Id));

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Host.SendJsonAsync(HttpMethod.Post, "api/v1/maintenance-windows", owner.AccessToken, Body(name: $"Racing {i}"))));
        var created = Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.Conflict, a.Status);
            Assert.EndsWith("/maintenance-window-limit", a.Body.GetProperty("type").GetString());
            Assert.Contains("200", a.Body.GetProperty("detail").GetString());
        });
        Assert.Equal(200, await Host.ScalarAsync("SELECT count(*) FROM maintenance_windows WHERE tenant_id = $1", owner.TenantId));
        Assert.Equal(200, (await Host.GetJsonAsync("api/v1/maintenance-windows", owner.AccessToken)).GetProperty("items").GetArrayLength());

        var id = created.Body.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/maintenance-windows/{id}", owner.AccessToken)).Status);
        await CreateAsync(owner.AccessToken, Body(name: "After a delete"));
    }

    [Fact]
    public async Task Occurrences_follow_the_clock_changes_of_Berlin_and_New_York_in_UTC()
    {
        var owner = await People.SignupAsync(Host, "Clock Co");

        // The first Sunday of each month at 02:00 in Berlin, for 2 hours: 01:00 UTC in winter (CET, +01:00), 00:00 UTC
        // in summer (CEST, +02:00). Berlin changes on 28 March and 31 October 2027.
        var berlin = await CreateAsync(owner.AccessToken, Body());
        var year = await OccurrencesAsync(owner.AccessToken, berlin, "?from=2027-01-01T00:00:00Z&to=2028-01-01T00:00:00Z");
        Assert.Equal(12, year.Count);
        Assert.All(year, o => Assert.Equal(TimeSpan.FromHours(2), o.End - o.Start));
        Assert.All(year, o => Assert.Equal(TimeSpan.Zero, o.Start.Offset));
        Assert.Equal([
            "2027-01-03T01:00:00Z", "2027-02-07T01:00:00Z", "2027-03-07T01:00:00Z", "2027-04-04T00:00:00Z", "2027-05-02T00:00:00Z", "2027-06-06T00:00:00Z",
            "2027-07-04T00:00:00Z", "2027-08-01T00:00:00Z", "2027-09-05T00:00:00Z", "2027-10-03T00:00:00Z", "2027-11-07T01:00:00Z", "2027-12-05T01:00:00Z",
        ], year.Select(o => o.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        // The answer is written in UTC ("Z"), not in the window's offset.
        var (_, raw) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/maintenance-windows/{berlin}/occurrences?from=2027-04-01T00:00:00Z&to=2027-05-01T00:00:00Z", owner.AccessToken);
        var april = Assert.Single(raw.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal("2027-04-04T00:00:00+00:00", april.GetProperty("start").GetString());
        Assert.Equal("2027-04-04T02:00:00+00:00", april.GetProperty("end").GetString());

        // Every day at 02:30 in New York for 1 hour, across 14 March 2027 (clocks jump from 02:00 to 03:00): 07:30 UTC
        // on the 13th (EST), 03:30 EDT = 07:30 UTC on the 14th (02:30 does not exist that day), 06:30 UTC after.
        var newYork = await CreateAsync(owner.AccessToken, Body(name: "Nightly", rrule: "FREQ=DAILY", start: "2027-03-01T02:30:00", duration: "1h", timeZone: "America/New_York"));
        var spring = await OccurrencesAsync(owner.AccessToken, newYork, "?from=2027-03-13T00:00:00Z&to=2027-03-16T00:00:00Z");
        Assert.Equal([
            (DateTimeOffset.Parse("2027-03-13T07:30:00Z"), DateTimeOffset.Parse("2027-03-13T08:30:00Z")),
            (DateTimeOffset.Parse("2027-03-14T07:30:00Z"), DateTimeOffset.Parse("2027-03-14T08:30:00Z")),
            (DateTimeOffset.Parse("2027-03-15T06:30:00Z"), DateTimeOffset.Parse("2027-03-15T07:30:00Z")),
        ], spring);

        // An occurrence that started before from but overlaps it is listed; to is exclusive.
        Assert.Equal(DateTimeOffset.Parse("2027-03-15T06:30:00Z"),
            Assert.Single(await OccurrencesAsync(owner.AccessToken, newYork, "?from=2027-03-15T07:00:00Z&to=2027-03-16T06:30:00Z")).Start);

        // Defaults: from now, for 30 days. A daily window that started in the past lists 30 or 31 of them, all overlapping that span.
        var before = DateTimeOffset.UtcNow;
        var daily = await CreateAsync(owner.AccessToken, Body(name: "Daily now", rrule: "FREQ=DAILY", start: "2026-01-01T02:30:00", duration: "1h", timeZone: "UTC"));
        var upcoming = await OccurrencesAsync(owner.AccessToken, daily, "");
        var after = DateTimeOffset.UtcNow;
        Assert.InRange(upcoming.Count, 30, 31);
        Assert.True(upcoming[0].End > before && upcoming[^1].Start < after.AddDays(30), string.Join(", ", upcoming));
        Assert.Equal(30, (await OccurrencesAsync(owner.AccessToken, daily, "?from=2027-01-01T00:00:00Z")).Count);

        // Clear 400s for a bad from or to, a to not after from, and a span over 366 days.
        async Task<string?> RefusedAsync(string query)
        {
            var (status, problem) = await Host.SendJsonAsync(HttpMethod.Get, $"api/v1/maintenance-windows/{berlin}/occurrences{query}", owner.AccessToken);
            Assert.True(status == HttpStatusCode.BadRequest, $"{query}: {(int)status} {problem}");
            return problem.GetProperty("type").GetString()?.Split('/')[^1];
        }
        Assert.Equal("invalid-from", await RefusedAsync("?from=yesterday"));
        Assert.Equal("invalid-to", await RefusedAsync("?from=2027-01-01T00:00:00Z&to=2027-02-30T00:00:00Z"));
        Assert.Equal("invalid-from", await RefusedAsync("?from=9999-12-31T00:00:00Z"));
        Assert.Equal("invalid-from", await RefusedAsync("?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z"));
        Assert.Equal("invalid-range", await RefusedAsync("?from=2027-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"));
        Assert.Equal("invalid-range", await RefusedAsync("?from=2027-01-01T00:00:00Z&to=2026-12-01T00:00:00Z"));
        Assert.Equal("invalid-range", await RefusedAsync("?from=2027-01-01T00:00:00Z&to=2028-01-02T00:00:01Z"));
        // 366 days exactly is allowed (2 January 2028 01:00 UTC is past it).
        Assert.Equal(12, (await OccurrencesAsync(owner.AccessToken, berlin, "?from=2027-01-01T00:00:00Z&to=2028-01-02T00:00:00Z")).Count);
    }

    [Fact]
    public async Task AlertMuting_mutes_matched_alerts_during_an_occurrence_until_it_ends_keeping_the_latest_end()
    {
        var owner = await People.SignupAsync(Host, "Muted Maintenance Co");
        // The first Sunday of each month at 02:00 Berlin for 2 hours, over /v1/reports/*: on 5 July 2026 that is 00:00-02:00 UTC.
        var reports = await CreateAsync(owner.AccessToken, Body(start: "2026-01-04T02:00:00"));
        // Another window over the same alerts that ends earlier (01:00-01:30 UTC), and one over another route.
        var shorter = await CreateAsync(owner.AccessToken, Body(name: "Short", rrule: "FREQ=DAILY", start: "2026-07-01T03:00:00", duration: "30m"));
        var search = await CreateAsync(owner.AccessToken, Body(name: "Search", rrule: "FREQ=DAILY", start: "2026-07-01T00:00:00", duration: "1d",
            matchers: new[] { new { name = "route", op = "=", value = "/v1/search" } }));

        var reportsAlert = Guid.NewGuid();
        var otherAlert = Guid.NewGuid();
        var searchAlert = Guid.NewGuid();
        (Guid, AlertLabels)[] alerts =
        [
            (reportsAlert, new AlertLabels("Reports errors", "critical", "/v1/reports/daily", "GET", "", "production", "route=/v1/reports/daily")),
            (otherAlert, new AlertLabels("Checkout errors", "critical", "/v1/checkout", "POST", "", "production", "route=/v1/checkout")),
            (searchAlert, new AlertLabels("Search errors", "warning", "/v1/search", "GET", "", "production", "")),
        ];
        await using var source = NpgsqlDataSource.Create(Host.AppConnectionString);
        var database = new Database(source);
        Task<Dictionary<Guid, Muting>> MutedAtAsync(string instant) => MutedAsync(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));
        Task<Dictionary<Guid, Muting>> MutedAsync(DateTimeOffset instant) => database.ForTenantAsync(owner.TenantId,
            (connection, transaction) => AlertMuting.FindAsync(connection, transaction, owner.TenantId, alerts, instant, default), default);

        // Inside both windows over /v1/reports/*: muted by the one that ends last, until its occurrence ends.
        var during = await MutedAtAsync("2026-07-05T01:15:00Z");
        Assert.Equal(new Muting("maintenance", reports, DateTimeOffset.Parse("2026-07-05T02:00:00Z")), during[reportsAlert]);
        // The search window's day runs from 00:00 Berlin summer time, 22:00 UTC the day before.
        Assert.Equal(new Muting("maintenance", search, DateTimeOffset.Parse("2026-07-05T22:00:00Z")), during[searchAlert]);
        Assert.False(during.ContainsKey(otherAlert));

        // Only the short daily window runs on a Monday at 01:10 UTC (03:10 Berlin summer time).
        Assert.Equal(new Muting("maintenance", shorter, DateTimeOffset.Parse("2026-07-06T01:30:00Z")), (await MutedAtAsync("2026-07-06T01:10:00Z"))[reportsAlert]);
        // The monthly window's end is exclusive; and in winter the same local time is an hour later in UTC.
        Assert.False((await MutedAtAsync("2026-07-05T02:00:00Z")).ContainsKey(reportsAlert));
        Assert.Equal(new Muting("maintenance", reports, DateTimeOffset.Parse("2026-12-06T03:00:00Z")), (await MutedAtAsync("2026-12-06T02:45:00Z"))[reportsAlert]);
        Assert.False((await MutedAtAsync("2026-12-06T00:30:00Z")).ContainsKey(reportsAlert));

        // A silence that ends later than the window's occurrence is the muting kept; a deleted window mutes nothing.
        var everyDay = await CreateAsync(owner.AccessToken, Body(name: "All day", rrule: "FREQ=DAILY", start: "2026-01-01T00:00:00", duration: "1d", timeZone: "UTC",
            matchers: new[] { new { name = "route", op = "=", value = "/v1/checkout" } }));
        var (silenced, silence) = await Host.SendJsonAsync(HttpMethod.Post, "api/v1/silences", owner.AccessToken, new
        {
            matchers = new[] { new { name = "route", op = "=", value = "/v1/checkout" } }, endsAt = DateTimeOffset.UtcNow.AddDays(2), comment = "longer than the window",
        });
        Assert.Equal(HttpStatusCode.Created, silenced);
        var withSilence = await MutedAsync(DateTimeOffset.UtcNow);
        Assert.Equal("silence", withSilence[otherAlert].Kind);
        Assert.Equal(silence.GetProperty("id").GetGuid(), withSilence[otherAlert].Id);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/silences/{silence.GetProperty("id").GetGuid()}", owner.AccessToken)).Status);
        var windowOnly = await MutedAsync(DateTimeOffset.UtcNow);
        Assert.Equal(("maintenance", everyDay), (windowOnly[otherAlert].Kind, windowOnly[otherAlert].Id));
        Assert.Equal(new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(1), TimeSpan.Zero), windowOnly[otherAlert].Until);
        Assert.Equal(HttpStatusCode.NoContent, (await Host.SendJsonAsync(HttpMethod.Delete, $"api/v1/maintenance-windows/{everyDay}", owner.AccessToken)).Status);
        Assert.False((await MutedAsync(DateTimeOffset.UtcNow)).ContainsKey(otherAlert));
    }
}
