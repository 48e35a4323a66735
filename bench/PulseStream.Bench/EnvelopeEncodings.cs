using BenchmarkDotNet.Attributes;
using PulseStream.Events;

namespace PulseStream.Bench;

/// <summary>
/// The two wire forms of an envelope, measured for the choice between them: encoding at the edge, decoding in both
/// consumers (alerts and realtime), and the bytes per event that Event Hubs carries and bills.
/// </summary>
[MemoryDiagnoser]
public class EnvelopeEncodings
{
    private EventEnvelope _envelope = null!;
    private byte[] _json = null!;
    private byte[] _protobuf = null!;

    [Params(1000)]
    public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, Events).Select(i => new ApiEvent(
            Guid.NewGuid().ToString("N"), now.AddMilliseconds(-i), i % 5 == 0 ? "POST" : "GET", $"/v1/orders/{i}", "/v1/orders/{id}",
            i % 50 == 0 ? 503 : 200, 5 + i % 200 + 0.25, 120, 1500, $"customer-{i % 20}", "production",
            i % 10 == 0 ? new Dictionary<string, string> { ["region"] = "eu-west" } : null)).ToList();
        _envelope = new EventEnvelope(Guid.NewGuid(), now, events);
        _json = JsonEnvelopeCodec.Encode(_envelope, int.MaxValue).Single();
        _protobuf = ProtobufEnvelopeCodec.Encode(_envelope, int.MaxValue).Single();
        Console.WriteLine($"// bytes per event: JSON {(double)_json.Length / Events:N1}, protobuf {(double)_protobuf.Length / Events:N1}");
    }

    [Benchmark(Baseline = true, Description = "encode JSON")]
    public int EncodeJson() => JsonEnvelopeCodec.Encode(_envelope, EventEnvelopeCodec.DefaultMaxBodyBytes).Count;

    [Benchmark(Description = "encode protobuf")]
    public int EncodeProtobuf() => ProtobufEnvelopeCodec.Encode(_envelope, EventEnvelopeCodec.DefaultMaxBodyBytes).Count;

    [Benchmark(Description = "decode JSON")]
    public int DecodeJson() => JsonEnvelopeCodec.Decode(_json).Events.Count;

    [Benchmark(Description = "decode protobuf")]
    public int DecodeProtobuf() => ProtobufEnvelopeCodec.Decode(_protobuf).Events.Count;
}
