using System.Text.Json;
using BenchmarkDotNet.Attributes;
using PulseStream.Events;

namespace PulseStream.Bench;

/// <summary>The per-event CPU cost of the ingest edge: validating one event and encoding it into a message body.</summary>
[MemoryDiagnoser]
public class ValidationAndEncoding
{
    private readonly EventValidator _validator = new(TimeProvider.System);
    private JsonDocument _batch = null!;
    private List<ApiEvent> _events = null!;

    [Params(100, 1000)]
    public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        var items = Enumerable.Range(0, Events).Select(i => new
        {
            eventId = Guid.NewGuid().ToString("N"), timestamp = now.ToString("O"), method = "GET", path = $"/v1/orders/{i}", statusCode = 200,
            latencyMs = 12.5, requestBytes = 100, responseBytes = 2000, consumerId = "acme", environment = "production",
        });
        _batch = JsonDocument.Parse(JsonSerializer.Serialize(new { events = items }));
        _events = _batch.RootElement.GetProperty("events").EnumerateArray().Select(e => _validator.Validate(e).Event!).ToList();
    }

    [Benchmark(Description = "validate a batch")]
    public int Validate()
    {
        var ok = 0;
        foreach (var e in _batch.RootElement.GetProperty("events").EnumerateArray())
            if (_validator.Validate(e).Event is not null) ok++;
        return ok;
    }

    [Benchmark(Description = "encode a batch")]
    public int Encode() => EventEnvelopeCodec.Encode(new EventEnvelope(Guid.Empty, DateTimeOffset.UtcNow, _events)).Count;
}
