using CsCheck;
using PulseStream.Events;
using PulseStream.Events.Segments;

namespace PulseStream.UnitTests;

/// <summary>
/// The segment codec keeps every event exactly (any Unicode, doubles bit for bit, null as distinct from empty and
/// from absent), and the cursor keeps its position; CsCheck generates the events and shrinks a failure to a small one.
/// </summary>
public class SegmentCodecTests
{
    /// <summary>Any Unicode text: code points from every plane (surrogate pairs included), U+0000 too.</summary>
    private static readonly Gen<string> AnyText = Gen.OneOf(
            Gen.Int[0, 0x7F], Gen.Int[0x80, 0xD7FF], Gen.Int[0xE000, 0xFFFF], Gen.Int[0x10000, 0x10FFFF])
        .Array[0, 12].Select(points => string.Concat(points.Select(char.ConvertFromUtf32)));

    private static readonly Gen<string> FewValues = Gen.OneOf("GET", "POST", "/v1/orders/{id}", "production", "ünïcødé", "😀", "");

    private static readonly Gen<string> Text = Gen.Frequency((2, FewValues), (1, AnyText));

    private static readonly Gen<double> Latency = Gen.OneOf(
        Gen.Double,                                                      // every bit pattern: NaN payloads, infinities, -0.0, subnormals
        Gen.Long[0, 3_600_000_000L].Select(t => t / 1000.0),               // thousandths, as clients send them
        Gen.Double[0, 3_600_000],
        Gen.OneOf(0.0, -0.0, 0.1, 1e-300, double.Epsilon, 3_600_000.0));

    private static readonly Gen<long?> Bytes = Gen.Frequency((1, Gen.Const((long?)null)), (3, Gen.Long.Select(l => (long?)l)), (1, Gen.OneOf<long?>(0, long.MaxValue, long.MinValue)));

    private static readonly Gen<IReadOnlyDictionary<string, string>?> Attributes = Gen.Frequency(
        (2, Gen.Const((IReadOnlyDictionary<string, string>?)null)),
        (1, Gen.Const((IReadOnlyDictionary<string, string>?)new Dictionary<string, string>())),
        (2, Gen.Select(Text, Text).Array[1, 5].Select(pairs =>
            (IReadOnlyDictionary<string, string>?)pairs.DistinctBy(p => p.Item1, StringComparer.Ordinal).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal))));

    private static readonly Gen<long> Micros = Gen.Long[-62_135_596_800_000_000L + 1, 253_402_300_799_999_999L];

    private static readonly Gen<(DateTimeOffset, ApiEvent)> Event =
        Gen.Select(Gen.Select(Text.Null(), Micros, Text, Text, Text, Gen.Int, Latency), Gen.Select(Bytes, Bytes, Text.Null(), Text, Attributes, Micros))
            .Select(t => (EventCursor.FromMicros(t.Item2.Item6), new ApiEvent(t.Item1.Item1, EventCursor.FromMicros(t.Item1.Item2), t.Item1.Item3, t.Item1.Item4, t.Item1.Item5,
                t.Item1.Item6, t.Item1.Item7, t.Item2.Item1, t.Item2.Item2, t.Item2.Item3, t.Item2.Item4, t.Item2.Item5)));

    [Fact]
    public void Every_event_comes_back_exactly_as_it_was_encoded()
    {
        Event.Array[1, 60].Sample(events =>
        {
            var sorted = SegmentCodec.SortForSegment(events);
            var decoded = SegmentCodec.Decode(SegmentCodec.Encode(sorted));
            Assert.Equal(sorted.Count, decoded.Count);
            for (var i = 0; i < sorted.Count; i++) AssertSame(sorted[i], decoded[i]);
        }, iter: 2000);
    }

    [Fact]
    public void A_segment_keeps_events_in_time_order_with_arrival_order_among_equals()
    {
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var events = new[] { 3, 1, 2, 1, 3 }.Select((s, i) => (at, Sample(at.AddSeconds(s), $"e{i}"))).ToList();
        var decoded = SegmentCodec.Decode(SegmentCodec.Encode(SegmentCodec.SortForSegment(events)));
        Assert.Equal(["e1", "e3", "e2", "e0", "e4"], decoded.Select(e => e.Event.EventId));
    }

    [Fact]
    public void Thousand_realistic_events_compress_to_under_twenty_bytes_each()
    {
        var random = new Random(5);
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var events = Enumerable.Range(0, 1000).Select(i => (at, new ApiEvent(i % 10 == 0 ? Guid.NewGuid().ToString("N") : null,
            at.AddMilliseconds(random.Next(0, 1000)), i % 5 == 0 ? "POST" : "GET", $"/v1/orders/{random.Next(100_000)}", "/v1/orders/{id}",
            i % 50 == 0 ? 503 : 200, Math.Round(random.NextDouble() * 300, 2), 120, random.Next(200, 5000), $"consumer-{random.Next(100)}", "production", null))).ToList();
        var body = SegmentCodec.Encode(SegmentCodec.SortForSegment(events));
        Assert.True(body.Length < 20 * events.Count, $"{body.Length / (double)events.Count:N1} bytes per event");
    }

    [Fact]
    public void A_lone_surrogate_fails_the_write_rather_than_being_replaced()
    {
        var at = DateTimeOffset.UnixEpoch;
        Assert.ThrowsAny<ArgumentException>(() => SegmentCodec.Encode([(at, Sample(at, "bad\uD800"))]));
    }

    [Fact]
    public void A_cursor_round_trips_and_anything_else_is_refused()
    {
        Gen.Select(Gen.Long, Gen.Long).Sample((micros, id) =>
        {
            var cursor = new EventCursor(micros, id);
            Assert.True(EventCursor.TryDecode(cursor.Encode(), out var decoded));
            Assert.Equal(cursor, decoded);
        });
        foreach (var text in new[] { "", "abc", "not-a-cursor", new string('A', 23), "AAAAAAAAAAAAAAAAAAAAA=" })
            Assert.False(EventCursor.TryDecode(text, out _), text);
    }

    [Fact]
    public void Events_at_the_cursors_time_with_a_smaller_id_are_on_the_next_page()
    {
        var cursor = new EventCursor(1000, 50);
        Assert.True(cursor.IsAfter(1000, 49));
        Assert.False(cursor.IsAfter(1000, 50));
        Assert.False(cursor.IsAfter(1000, 51));
        Assert.True(cursor.IsAfter(999, long.MaxValue));
        Assert.False(cursor.IsAfter(1001, 0));
    }

    private static ApiEvent Sample(DateTimeOffset at, string id) => new(id, at, "GET", "/p", "/p", 200, 1, null, null, null, "production", null);

    private static void AssertSame((DateTimeOffset ReceivedAt, ApiEvent Event) expected, (DateTimeOffset ReceivedAt, ApiEvent Event) actual)
    {
        var (e, a) = (expected.Event, actual.Event);
        Assert.Equal(expected.ReceivedAt, actual.ReceivedAt);
        Assert.Equal(e.EventId, a.EventId);
        Assert.Equal(e.Timestamp.UtcTicks, a.Timestamp.UtcTicks);
        Assert.Equal(e.Method, a.Method);
        Assert.Equal(e.Path, a.Path);
        Assert.Equal(e.Route, a.Route);
        Assert.Equal(e.StatusCode, a.StatusCode);
        Assert.Equal(BitConverter.DoubleToInt64Bits(e.LatencyMs), BitConverter.DoubleToInt64Bits(a.LatencyMs));
        Assert.Equal(e.RequestBytes, a.RequestBytes);
        Assert.Equal(e.ResponseBytes, a.ResponseBytes);
        Assert.Equal(e.ConsumerId, a.ConsumerId);
        Assert.Equal(e.Environment, a.Environment);
        Assert.Equal(e.Attributes is null, a.Attributes is null);
        if (e.Attributes is not null)
        {
            Assert.Equal(e.Attributes.Count, a.Attributes!.Count);
            foreach (var (key, value) in e.Attributes) Assert.Equal(value, a.Attributes[key]);
        }
    }
}
