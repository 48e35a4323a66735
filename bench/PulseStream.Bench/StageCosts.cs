using System.Diagnostics;
using System.Text.Json;
using PulseStream.Events;
using PulseStream.Events.Segments;
using PulseStream.Metrics;

namespace PulseStream.Bench;

/// <summary>
/// The CPU stages of the pipeline measured in isolation, in this process, on the stored-end-to-end benchmark's own
/// request bodies: one thread, no I/O, the best of three passes over all bodies (so other users of the machine cost as
/// little as possible), in µs per event. The host's meter gives each stage's wall time under load, which includes
/// waiting for a core; these give what the stage itself costs.
/// </summary>
public static class StageCosts
{
    /// <param name="bodies">Each tenant's request bodies (JSON batches).</param>
    /// <param name="perTenantBatch">How many of a tenant's requests one consumed batch holds, as measured in the run.</param>
    public static string[] Measure(byte[][][] bodies, int perTenantBatch)
    {
        var validator = new EventValidator(TimeProvider.System);
        var tenant = Guid.CreateVersion7();
        var all = bodies.SelectMany(b => b).ToArray();
        var validated = all.Select(b => Validate(validator, b)).ToArray();
        var events = validated.Sum(v => v.Count);
        var messages = validated.Select(v => EventEnvelopeCodec.Encode(new EventEnvelope(tenant, DateTimeOffset.UtcNow, v))[0]).ToArray();
        var decoded = messages.Select(m => EventEnvelopeCodec.Decode(m).Events).ToArray();
        // A consumed batch's share of one tenant: perTenantBatch requests of the same tenant together.
        var tenantBatches = bodies.SelectMany((tenantBodies, t) => Enumerable.Range(0, tenantBodies.Length)
            .Select(i => Enumerable.Range(0, perTenantBatch).SelectMany(k => decoded[t * tenantBodies.Length + (i + k) % tenantBodies.Length]).ToList())).ToArray();
        var batchEvents = tenantBatches.Sum(b => b.Count);
        var cells = tenantBatches.Select(b => RollupWriter.Aggregate(b)).ToArray();
        var keys = cells.Sum(c => c.Values.Sum(v => v.Count));

        var rows = new List<(string Stage, double MicrosPerEvent, string Note)>
        {
            ("edge: JSON parse (JsonDocument)", Best(() => { foreach (var b in all) JsonDocument.Parse(b).Dispose(); }) / events, "per request body"),
            ("edge: validate", Best(() => { foreach (var b in all) Validate(validator, b); }) / events, "includes the parse"),
            ("edge: encode (protobuf envelope)", Best(() => { foreach (var v in validated) EventEnvelopeCodec.Encode(new EventEnvelope(tenant, DateTimeOffset.UtcNow, v)); }) / events, ""),
            ("consumer: decode", Best(() => { foreach (var m in messages) EventEnvelopeCodec.Decode(m); }) / events, ""),
            ("store: sort + segment encode", Best(() =>
            {
                foreach (var b in tenantBatches) SegmentCodec.Encode(SegmentCodec.SortForSegment(b.Select(e => (DateTimeOffset.UtcNow, e))));
            }) / batchEvents, $"{perTenantBatch} requests of a tenant per segment"),
            ("rollups: aggregate every set and tier", Best(() => { foreach (var b in tenantBatches) RollupWriter.Aggregate(b); }) / batchEvents,
                $"{keys / (double)batchEvents:N3} keys per event at {perTenantBatch} requests of a tenant per batch"),
            ("rollups: encode the keys' sketches", Best(() => { foreach (var c in cells) foreach (var tier in c.Values) foreach (var cell in tier.Values) cell.Histogram.ToBytes(); }) / batchEvents, ""),
        };
        var lines = new List<string>
        {
            $"CPU per event of the in-process stages, measured alone on the same bodies ({events:N0} events; one thread, best of 3)",
            "",
            "| stage | µs per event | note |",
            "|---|---:|---|",
        };
        lines.AddRange(rows.Select(r => $"| {r.Stage} | {r.MicrosPerEvent:N2} | {r.Note} |"));
        return [.. lines];
    }

    private static List<ApiEvent> Validate(EventValidator validator, byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("events").EnumerateArray().Select(e => validator.Validate(e).Event!).ToList();
    }

    /// <summary>The best of three passes, in µs.</summary>
    private static double Best(Action pass)
    {
        pass();
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, watch.Elapsed.TotalMicroseconds);
        }
        return best;
    }
}
