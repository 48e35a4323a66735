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
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
