using BenchmarkDotNet.Running;
using PulseStream.Bench;

if (args.Contains("--micro"))
{
    BenchmarkSwitcher.FromTypes([typeof(ValidationAndEncoding), typeof(EnvelopeEncodings)])
        .RunAll(args: args.Where(a => a != "--micro").ToArray());
    return 0;
}
var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(10);
// --only batched|single|edge|noisy: one part of the load run, for iterating on one figure.
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var warmup = args.SkipWhile(a => a != "--warmup").Skip(1).Select(int.Parse).FirstOrDefault(30);
// --only anomaly: precision and recall of anomaly rules on generated seasonal traffic (AnomalyAccuracy), in memory; --events N sets how many series.
if (only == "anomaly") return AnomalyAccuracy.Run(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(12));
// --only store: the raw-event layouts side by side (StoreLayouts), without the HTTP loads; --events N sets how many.
if (only == "store") return await StoreLayouts.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(1_020_000));
// --only stored: 30 tenants stored end to end, and InfluxDB on the same events (StoredEndToEnd), for twice --seconds.
if (only == "stored") return await StoredEndToEnd.RunAsync(TimeSpan.FromSeconds(seconds * 2));
// --only query: a tenant with a month of events (QueryLoad), the read API measured while ingest runs; --events N sets how many.
if (only == "query") return await QueryLoad.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(10_000_000));
// --only rules: 1,000 enabled rules of one tenant evaluated by the host (RuleEvaluationLoad); --events N sets the tenant's events.
if (only == "rules") return await RuleEvaluationLoad.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(1_000_000));
// --only alerts: event → firing → first delivery with 1,000 rules (AlertLatencyLoad); --events N sets the tenant's history.
if (only == "alerts") return await AlertLatencyLoad.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(200_000));
// --only live: event → browser latency through a real SignalR client at 1,000 and 20,000 events/s (LiveLatencyLoad).
if (only == "live") return await LiveLatencyLoad.RunAsync(TimeSpan.FromSeconds(seconds * 2));
// --only dashboard: first meaningful paint of the overview in headless chromium (DashboardPaintLoad); --events N sets the history.
if (only == "dashboard") return await DashboardPaintLoad.RunAsync(args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(300_000));
var loads = await IngestLoad.RunAsync(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(warmup), only);
if (only is not null) return loads;
// The whole run: every figure the issues set a goal for, each part's table printed as it finishes.
loads |= await StoreLayouts.RunAsync(1_020_000);
loads |= await StoredEndToEnd.RunAsync(TimeSpan.FromSeconds(seconds * 2));
loads |= await RuleEvaluationLoad.RunAsync(1_000_000);
loads |= await AlertLatencyLoad.RunAsync(200_000);
loads |= await LiveLatencyLoad.RunAsync(TimeSpan.FromSeconds(seconds * 2));
loads |= await DashboardPaintLoad.RunAsync(300_000);
return loads | await QueryLoad.RunAsync(10_000_000);
