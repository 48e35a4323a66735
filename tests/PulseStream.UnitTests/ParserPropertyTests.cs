using System.Text;
using System.Text.Json;
using CsCheck;
using Google.Protobuf;
using PulseStream.Events;
using PulseStream.Http;
using PulseStream.Otlp;
using PulseStream.Otlp.Protocol;

namespace PulseStream.UnitTests;

/// <summary>
/// Property tests of the parsing path the ingest routes run (body → JSON → per-event validation; body → OTLP →
/// spans → events): for generated and mutated inputs, never an exception the routes do not turn into a 400, and
/// every valid event of a mixed batch accepted. CsCheck shrinks a failing input to a small one and prints its seed.
/// </summary>
public class ParserPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventValidator Validator = new(new FixedClock(Now));

    private const string ValidEvent = """{"eventId":"e-1","timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/v1/orders/42","statusCode":200,"latencyMs":12.5,"consumerId":"c","attributes":{"k":"v"}}""";

    /// <summary>What the batch route does with a body, up to publishing; returns the number of accepted events.</summary>
    private static int IngestBatch(byte[] body)
    {
        var parsed = JsonBodyReader.Parse(body, 16);
        if (parsed.Failure is not null) return 0;
        using var document = parsed.Document!;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var items) || items.ValueKind != JsonValueKind.Array) return 0;
        var index = 0;
        return items.EnumerateArray().Count(item => Validator.Validate(item, index++).Event is not null);
    }

    private static readonly Gen<byte[]> Mutations = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 4096], Gen.Byte.Array[1, 8], Gen.Int[1, 300])
        .Select(m => Mutate(Encoding.UTF8.GetBytes($$"""{"events":[{{ValidEvent}},{{ValidEvent}}]}"""), m.Item1, m.Item2, m.Item3, m.Item4));

    private static byte[] Mutate(byte[] source, int kind, int position, byte[] bytes, int count)
    {
        var at = position % source.Length;
        var list = source.ToList();
        switch (kind)
        {
            case 0: for (var i = 0; i < bytes.Length && at + i < list.Count; i++) list[at + i] = bytes[i]; break; // overwrite
            case 1: list.InsertRange(at, bytes); break;                                                          // insert random bytes
            case 2: list.RemoveRange(at, Math.Min(count, list.Count - at)); break;                               // truncate a range
            case 3: list.InsertRange(at, Encoding.UTF8.GetBytes(new string('[', count) + new string(']', count))); break; // deep nesting
            case 4: list.InsertRange(at, Encoding.UTF8.GetBytes("1" + new string('9', count * 3) + "e999")); break;     // huge numbers
            default: list.InsertRange(at, Encoding.UTF8.GetBytes($"\"{new string('x', count * 40)}\":NaN,")); break;   // long keys, NaN
        }
        return list.ToArray();
    }

    [Fact]
    public void Mutated_batches_never_throw()
    {
        Mutations.Sample(body => { IngestBatch(body); }, iter: 5_000);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 512].Sample(body => { IngestBatch(body); }, iter: 5_000);
    }

    private static readonly string[] InvalidEvents =
    [
        """{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":600,"latencyMs":1}""",
        """{"timestamp":"yesterday","method":"GET","path":"/a","statusCode":200,"latencyMs":1}""",
        """{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1e400}""",
        """{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1,"attributes":{"k":{"deep":[1]}}}""",
        """{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1,"consumerId":"\ud800"}""",
        """[1,2,3]""", "null", "\"text\"", "12",
    ];

    [Fact]
    public void In_a_generated_mixed_batch_exactly_the_valid_events_are_accepted()
    {
        Gen.Int[-1, InvalidEvents.Length - 1].Array[1, 60].Sample(picks =>
        {
            var items = picks.Select(p => p < 0 ? ValidEvent : InvalidEvents[p]);
            var body = Encoding.UTF8.GetBytes($$"""{"events":[{{string.Join(",", items)}}]}""");
            Assert.Equal(picks.Count(p => p < 0), IngestBatch(body));
        }, iter: 2_000);
    }

    private static readonly Gen<Span> Spans = Gen.Select(Gen.Int[0, 5], Gen.OneOf<string>("GET", "post", "_OTHER", "", "BREW"), Gen.Int[-5, 1000],
            Gen.OneOf<string>("/a/1", "", "x", "/" + new string('p', 3000), "/b?x=1"), Gen.Long[-10_000_000_000, 10_000_000_000])
        .Select(t => new Span
        {
            Kind = (Span.Types.SpanKind)t.Item1,
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes(t.Item5)),
            StartTimeUnixNano = (ulong)((Now.AddSeconds(-30) - DateTimeOffset.UnixEpoch).Ticks * 100),
            EndTimeUnixNano = (ulong)((Now.AddSeconds(-30) - DateTimeOffset.UnixEpoch).Ticks * 100 + t.Item5),
            Attributes =
            {
                new KeyValue { Key = "http.request.method", Value = new AnyValue { StringValue = t.Item2 } },
                new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = t.Item3 } },
                new KeyValue { Key = "url.path", Value = new AnyValue { StringValue = t.Item4 } },
            },
        });

    [Fact]
    public void Generated_spans_become_only_events_that_keep_the_contract_rules()
    {
        var spans = new HttpServerSpans(Validator);
        Spans.Array[0, 30].Sample(generated =>
        {
            var export = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { generated } } } } } };
            var (parsed, failure) = OtlpEncoding.Parse(OtlpWireFormat.Protobuf, export.ToByteArray());
            Assert.Null(failure);
            var result = spans.Convert(parsed!, HttpServerSpans.DefaultConsumerAttribute);
            Assert.Equal(generated.Length, result.Events.Count + result.IgnoredSpans + result.RejectedSpans);
            Assert.All(result.Events, e =>
            {
                Assert.True(EventValidator.IsKnownMethod(e.Method));
                Assert.InRange(e.StatusCode, 100, 599);
                Assert.StartsWith("/", e.Path);
                Assert.InRange(e.Path.Length, 1, EventValidator.MaxPathLength);
                Assert.InRange(e.LatencyMs, 0, EventValidator.MaxLatencyMs);
                Assert.True(EventRules.FitsRouteBytes(e.Route));
                Assert.DoesNotContain('\0', e.Path + e.Route + e.ConsumerId + e.Environment);
            });
        }, iter: 2_000);
    }

    private static readonly Span ValidServerSpan = new()
    {
        Kind = Span.Types.SpanKind.Server,
        StartTimeUnixNano = (ulong)((Now.AddSeconds(-30) - DateTimeOffset.UnixEpoch).Ticks * 100),
        EndTimeUnixNano = (ulong)((Now.AddSeconds(-30) - DateTimeOffset.UnixEpoch).Ticks * 100 + 5_000_000),
        Attributes =
        {
            new KeyValue { Key = "http.request.method", Value = new AnyValue { StringValue = "GET" } },
            new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 200 } },
            new KeyValue { Key = "url.path", Value = new AnyValue { StringValue = "/a/1" } },
        },
    };

    private const string ValidOtlpJson = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
          "scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","kind":2,
            "startTimeUnixNano":"1764071990000000000","endTimeUnixNano":1764071990250000000,
            "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"url.path","value":{"stringValue":"/a"}},
                          {"key":"http.response.status_code","value":{"intValue":"200"}}]}]}]}]}
        """;

    /// <summary>Values that are valid JSON but wrong for OTLP, spliced in place of a value of the valid document.</summary>
    private static readonly string[] HostileJsonValues =
        ["\"\\ud800\"", "1e999", "-1", "18446744073709551616", "\"abc\"", "\"0x1\"", "2.5", "[]", "{}", "null", "true", "\"\"", "\"zz\"", "\"123\""];

    [Fact]
    public void Valid_OTLP_JSON_with_any_value_replaced_never_throws()
    {
        var spans = new HttpServerSpans(Validator);
        // Each value of the document (a string, number or object after a colon) in turn, replaced by a hostile one.
        var colons = ValidOtlpJson.Select((c, i) => (c, i)).Where(x => x.c == ':').Select(x => x.i).ToArray();
        Gen.Select(Gen.Int[0, colons.Length - 1], Gen.Int[0, HostileJsonValues.Length - 1]).Sample((at, value) =>
        {
            var start = colons[at] + 1;
            var end = start;
            var depth = 0;
            // The value's extent: up to the next ',' or closing bracket at its own depth.
            while (end < ValidOtlpJson.Length && !(depth == 0 && ValidOtlpJson[end] is ',' or '}' or ']'))
            {
                if (ValidOtlpJson[end] is '{' or '[') depth++;
                if (ValidOtlpJson[end] is '}' or ']') depth--;
                end++;
            }
            var body = Encoding.UTF8.GetBytes(ValidOtlpJson[..start] + HostileJsonValues[value] + ValidOtlpJson[end..]);
            var (export, failure) = OtlpEncoding.Parse(OtlpWireFormat.Json, body);
            Assert.True(export is not null ^ failure is not null);
            if (export is not null) spans.Convert(export, HttpServerSpans.DefaultConsumerAttribute);
        }, iter: 3_000);
    }

    [Fact]
    public void Random_and_mutated_OTLP_bodies_never_throw()
    {
        var spans = new HttpServerSpans(Validator);
        var valid = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { ValidServerSpan } } } } } }.ToByteArray();
        var bodies = Gen.OneOf(Gen.Byte.Array[0, 256],
            Gen.Select(Gen.Int[0, 5], Gen.Int[0, 4096], Gen.Byte.Array[1, 8], Gen.Int[1, 50]).Select(m => Mutate(valid, m.Item1, m.Item2, m.Item3, m.Item4)));
        foreach (var format in new[] { OtlpWireFormat.Protobuf, OtlpWireFormat.Json })
            bodies.Sample(body =>
            {
                var (export, failure) = OtlpEncoding.Parse(format, body);
                Assert.True(export is not null ^ failure is not null);
                if (export is not null) spans.Convert(export, HttpServerSpans.DefaultConsumerAttribute);
            }, iter: 3_000);
    }
}
