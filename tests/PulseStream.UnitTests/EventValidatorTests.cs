using System.Text.Json;
using PulseStream.Events;

namespace PulseStream.UnitTests;

public class EventValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly EventValidator _validator = new(new FixedClock(Now));

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    private static string Valid(string extra = "") =>
        $$"""{"timestamp":"2026-11-25T11:59:00Z","method":"get","path":"/v1/orders/42","statusCode":200,"latencyMs":12.5{{extra}}}""";

    [Fact]
    public void A_valid_event_is_accepted_with_its_method_upper_cased_and_a_derived_route()
    {
        var (e, errors) = _validator.Validate(Parse(Valid()));
        Assert.Empty(errors);
        Assert.Equal("GET", e!.Method);
        Assert.Equal("/v1/orders/{id}", e.Route);
        Assert.Equal("production", e.Environment);
        Assert.Equal(12.5, e.LatencyMs);
    }

    [Fact]
    public void An_empty_event_id_is_no_id_so_such_events_are_not_deduplicated_into_one()
    {
        var (e, errors) = _validator.Validate(Parse(Valid(",\"eventId\":\"\"")));
        Assert.Empty(errors);
        Assert.Null(e!.EventId);
    }

    [Theory]
    [InlineData("""{"method":"GET","path":"/a","statusCode":200,"latencyMs":1}""", "timestamp")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00","method":"GET","path":"/a","statusCode":200,"latencyMs":1}""", "timestamp")]
    [InlineData("""{"timestamp":"2026-11-10T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1}""", "timestamp")]
    [InlineData("""{"timestamp":"2026-11-25T12:06:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1}""", "timestamp")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"FETCH","path":"/a","statusCode":200,"latencyMs":1}""", "method")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"a","statusCode":200,"latencyMs":1}""", "path")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":600,"latencyMs":1}""", "statusCode")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200.5,"latencyMs":1}""", "statusCode")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":"200","latencyMs":1}""", "statusCode")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":-1}""", "latencyMs")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":3600001}""", "latencyMs")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1,"requestBytes":-5}""", "requestBytes")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a","statusCode":200,"latencyMs":1,"attributes":{"k":1}}""", "attributes.k")]
    public void Each_broken_rule_names_its_field(string json, string field)
    {
        var (e, errors) = _validator.Validate(Parse(json));
        Assert.Null(e);
        Assert.Contains(errors, x => x.Field == field);
    }

    [Fact]
    public void Over_long_fields_are_rejected()
    {
        var (_, errors) = _validator.Validate(Parse(Valid($$""","eventId":"{{new string('x', 65)}}","consumerId":"{{new string('c', 129)}}","environment":"{{new string('e', 33)}}" """)));
        Assert.Equal(["eventId", "consumerId", "environment"], errors.Select(e => e.Field));
    }

    [Fact]
    public void More_than_twenty_attributes_are_rejected()
    {
        var attributes = string.Join(',', Enumerable.Range(0, 21).Select(i => $"\"k{i}\":\"v\""));
        var (_, errors) = _validator.Validate(Parse(Valid($",\"attributes\":{{{attributes}}}")));
        Assert.Contains(errors, e => e.Field == "attributes");
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var (e, errors) = _validator.Validate(Parse(Valid(",\"whatever\":{\"deep\":[1,2]}")));
        Assert.Empty(errors);
        Assert.NotNull(e);
    }

    [Theory]
    [InlineData("/v1/users/123/orders", "/v1/users/{id}/orders")]
    [InlineData("/v1/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/v1/users/{id}")]
    [InlineData("/v1/blobs/deadbeefdeadbeef00", "/v1/blobs/{id}")]
    [InlineData("/v1/people/jane@example.com", "/v1/people/{id}")]
    [InlineData("/v1/tokens/aGVsbG8gd29ybGQgdGhpcyBpcyA0", "/v1/tokens/{id}")]
    [InlineData("/v1/products/search?q=1", "/v1/products/search")]
    [InlineData("/", "/")]
    public void Routes_are_derived_by_replacing_id_like_segments(string path, string route) =>
        Assert.Equal(route, RouteTemplates.Derive(path));

    // The edge/store contract (docs/SECURITY.md): nothing the store cannot hold is accepted.

    [Theory]
    [InlineData(",\"eventId\":\"a\\u0000b\"", "eventId")]
    [InlineData(",\"route\":\"/a\\u0000\"", "route")]
    [InlineData(",\"consumerId\":\"\\u0000\"", "consumerId")]
    [InlineData(",\"environment\":\"prod\\u0000\"", "environment")]
    [InlineData(",\"attributes\":{\"k\\u0000\":\"v\"}", "attributes")]
    [InlineData(",\"attributes\":{\"k\":\"v\\u0000\"}", "attributes.k")]
    public void U0000_is_refused_in_every_text_field_since_Postgres_text_and_jsonb_cannot_hold_it(string extra, string field)
    {
        var (e, errors) = _validator.Validate(Parse(Valid(extra)));
        Assert.Null(e);
        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains("U+0000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GET","path":"/a\u0000","statusCode":200,"latencyMs":1}""", "path")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z","method":"GE\u0000T","path":"/a","statusCode":200,"latencyMs":1}""", "method")]
    [InlineData("""{"timestamp":"2026-11-25T11:59:00Z\u0000","method":"GET","path":"/a","statusCode":200,"latencyMs":1}""", "timestamp")]
    public void U0000_in_the_required_fields_is_refused_naming_the_field(string json, string field)
    {
        var (e, errors) = _validator.Validate(Parse(json));
        Assert.Null(e);
        Assert.Equal(field, Assert.Single(errors).Field);
    }

    [Theory]
    [InlineData(",\"consumerId\":\"\\ud800\"", "consumerId")]
    [InlineData(",\"environment\":\"\\ud800\"", "environment")]
    [InlineData(",\"route\":\"/\\udc00\\ud800\"", "route")]
    [InlineData(",\"attributes\":{\"k\":\"\\ud83d\"}", "attributes.k")]
    [InlineData(",\"attributes\":{\"\\udfff\":\"v\"}", "attributes")]
    public void A_lone_surrogate_is_refused_naming_its_field_while_a_pair_is_kept(string extra, string field)
    {
        var (_, errors) = _validator.Validate(Parse(Valid(extra)));
        Assert.Equal(field, Assert.Single(errors).Field);

        var (e, none) = _validator.Validate(Parse(Valid(",\"consumerId\":\"\\ud83d\\ude00\"")));
        Assert.Empty(none);
        Assert.Equal("\U0001F600", e!.ConsumerId);
    }

    [Theory]
    [InlineData("timestamp", "\"2026-11-25T11:58:00Z\"")]
    [InlineData("path", "\"/other\"")]
    [InlineData("statusCode", "500")]
    [InlineData("eventId", "\"e-2\"")]
    [InlineData("attributes", "{}")]
    [InlineData("whatever", "1")]
    public void An_event_with_a_key_sent_twice_is_refused_naming_the_key(string key, string value)
    {
        var json = Valid($",\"eventId\":\"e-1\",\"attributes\":{{}},\"whatever\":0,\"{key}\":{value}");
        var (e, errors) = _validator.Validate(Parse(json));
        Assert.Null(e);
        var error = Assert.Single(errors);
        Assert.Equal((key, "Duplicate key."), (error.Field, error.Message));
    }

    [Fact]
    public void A_key_sent_twice_is_the_same_key_however_it_is_escaped_and_is_named_once()
    {
        var (_, errors) = _validator.Validate(Parse(Valid(",\"\\u0070ath\":\"/b\",\"pat\\u0068\":\"/c\",\"x\\u0079\":1,\"xy\":2,\"xy\":3")));
        Assert.Equal([("path", "Duplicate key."), ("xy", "Duplicate key.")], errors.Select(e => (e.Field, e.Message)));
    }

    [Fact]
    public void An_attribute_key_sent_twice_is_refused_even_in_a_full_object()
    {
        var twenty = string.Join(',', Enumerable.Range(0, 20).Select(i => $"\"k{i}\":\"v\""));
        var (_, errors) = _validator.Validate(Parse(Valid($",\"attributes\":{{{twenty},\"k\\u0031\":\"again\"}}")));
        var error = Assert.Single(errors);
        Assert.Equal(("attributes.k1", "Duplicate key."), (error.Field, error.Message));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("1099511627776", true)]   // 2^40: a request of at most 1 TiB
    [InlineData("1099511627777", false)]
    [InlineData("4611686018427387904", false)] // 2^62: two of them overflowed a rollup
    [InlineData("9223372036854775807", false)]
    [InlineData("-1", false)]
    [InlineData("1.5", false)]
    [InlineData("\"10\"", false)]
    public void Byte_counters_are_bounded_so_that_no_sum_of_them_can_overflow(string count, bool accepted)
    {
        foreach (var field in new[] { "requestBytes", "responseBytes" })
        {
            var (e, errors) = _validator.Validate(Parse(Valid($",\"{field}\":{count}")));
            Assert.Equal(accepted, e is not null);
            if (!accepted) Assert.Equal(field, Assert.Single(errors).Field);
        }
    }

    [Theory]
    [InlineData('r', 1023, true)]      // ASCII: one byte a character
    [InlineData('r', 1024, false)]     // "/" + 1,024 = 1,025 bytes
    [InlineData('\u8def', 341, true)]  // "/" + 341 × 3 = 1,024 bytes
    [InlineData('\u8def', 342, false)] // 1,027 bytes, though only 343 characters
    public void A_route_is_bounded_in_UTF8_bytes_so_that_it_fits_the_rollup_and_route_index_keys(char c, int count, bool accepted)
    {
        var (e, errors) = _validator.Validate(Parse(Valid($",\"route\":\"/{new string(c, count)}\"")));
        Assert.Equal(accepted, e is not null);
        if (!accepted) Assert.Equal("route", Assert.Single(errors).Field);
    }

    [Fact]
    public void A_route_derived_from_a_long_path_is_cut_at_a_segment_boundary_to_fit()
    {
        var path = "/v1/" + string.Join("/", Enumerable.Range(0, 30).Select(i => $"s{i}{new string('\u8def', 20)}"));
        var (e, errors) = _validator.Validate(Parse(Valid().Replace("/v1/orders/42", path, StringComparison.Ordinal)));
        Assert.Empty(errors);
        Assert.Equal(path, e!.Path);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(e.Route), EventRules.MaxRouteBytes - 70, EventRules.MaxRouteBytes);
        Assert.EndsWith(RouteTemplates.Rest, e.Route, StringComparison.Ordinal);
        Assert.StartsWith(e.Route[..^RouteTemplates.Rest.Length] + "/", path, StringComparison.Ordinal);

        // A first segment too long on its own leaves only the marker.
        Assert.Equal(RouteTemplates.Rest, RouteTemplates.Derive("/" + new string('\u8def', 700)));
        Assert.Equal("/" + new string('\u8def', 341), RouteTemplates.Derive("/" + new string('\u8def', 341)));
    }

    [Theory]
    [InlineData("oPtIoNs", "OPTIONS")]
    [InlineData("\\u0067et", "GET")]
    [InlineData("delete", "DELETE")]
    public void Methods_are_matched_in_any_ASCII_case(string sent, string method)
    {
        var (e, _) = _validator.Validate(Parse(Valid().Replace("\"get\"", $"\"{sent}\"", StringComparison.Ordinal)));
        Assert.Equal(method, e!.Method);
    }

    [Theory]
    [InlineData("opt\u0131ons")] // a dotless i upper-cases to I, but this is not OPTIONS
    [InlineData("GETS")]
    [InlineData("")]
    public void Other_methods_are_refused(string sent)
    {
        var (_, errors) = _validator.Validate(Parse(Valid().Replace("\"get\"", $"\"{sent}\"", StringComparison.Ordinal)));
        Assert.Equal("method", Assert.Single(errors).Field);
    }

    [Theory]
    [InlineData("2026-11-25T11:59:00+23:59", "2026-11-24T12:00:00Z")]
    [InlineData("2026-11-25T11:59:60Z", "2026-11-25T11:59:59.9999999Z")]
    [InlineData("2026-11-25t11:00:00.123456789z", "2026-11-25T11:00:00.1234567Z")]
    [InlineData("2026-11-25T\\u0031\\u0031:00:00Z", "2026-11-25T11:00:00Z")]
    public void Timestamps_follow_the_written_RFC_3339_rule(string sent, string utc)
    {
        var (e, errors) = _validator.Validate(Parse(Valid().Replace("2026-11-25T11:59:00Z", sent, StringComparison.Ordinal)));
        Assert.Empty(errors);
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), e!.Timestamp);
    }

    [Fact]
    public void A_batch_body_with_the_events_key_twice_is_refused()
    {
        var result = Assert.IsType<PulseStream.Http.JsonBodyResult>(BatchBody.Events(Parse("""{"events":[],"events":[]}"""), out _));
        var problem = Assert.IsType<PulseStream.Http.Problem>(result.Body);
        Assert.Equal((400, "events", "Duplicate key."), (result.StatusCode, problem.Errors![0].Field, problem.Errors[0].Message));
        Assert.Null(BatchBody.Events(Parse("""{"events":[],"note":1}"""), out var items));
        Assert.Equal(JsonValueKind.Array, items.ValueKind);
    }
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
