using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using PulseStream.Events;
using PulseStream.Otlp;
using PulseStream.Otlp.Protocol;

namespace PulseStream.UnitTests;

public class OtlpTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private readonly HttpServerSpans _spans = new(new EventValidator(new FixedClock(Now)));
    private static ulong Nanos(DateTimeOffset at) => (ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static Span ServerSpan(byte id, double ms, params KeyValue[] attributes) => new()
    {
        TraceId = ByteString.CopyFrom(Enumerable.Repeat((byte)0xab, 16).ToArray()),
        SpanId = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, id]),
        Kind = Span.Types.SpanKind.Server,
        StartTimeUnixNano = Nanos(Now.AddSeconds(-10)),
        EndTimeUnixNano = Nanos(Now.AddSeconds(-10)) + (ulong)(ms * 1_000_000),
        Attributes = { attributes },
    };

    private static ExportTraceServiceRequest Export(IEnumerable<KeyValue> resource, params Span[] spans) => new()
    {
        ResourceSpans = { new ResourceSpans { Resource = new Resource { Attributes = { resource } }, ScopeSpans = { new ScopeSpans { Spans = { spans } } } } },
    };

    [Fact]
    public void Server_spans_map_by_current_and_older_semantic_conventions()
    {
        var export = Export([Attr("service.name", "shop"), Attr("deployment.environment.name", "staging")],
            ServerSpan(1, 25.5, Attr("http.request.method", "post"), Attr("url.path", "/carts/9/items"), Attr("http.route", "carts/{cartId}/items"),
                Attr("http.response.status_code", 201), Attr("enduser.id", "u-1"), Attr("http.request.body.size", 120), Attr("http.response.body.size", 64)),
            ServerSpan(2, 4, Attr("http.method", "DELETE"), Attr("http.target", "/carts/9?force=true"), Attr("http.status_code", "204")));
        // Round-trip through the wire format, as an exporter would send it.
        var (parsed, failure) = OtlpEncoding.Parse(OtlpWireFormat.Protobuf, export.ToByteArray());
        Assert.Null(failure);

        var result = _spans.Convert(parsed!, HttpServerSpans.DefaultConsumerAttribute);
        Assert.Equal((0, 0), (result.IgnoredSpans, result.RejectedSpans));
        var post = result.Events[0];
        Assert.Equal(("POST", "/carts/9/items", "/carts/{cartId}/items", 201, 25.5), (post.Method, post.Path, post.Route, post.StatusCode, post.LatencyMs));
        Assert.Equal(("u-1", "staging", 120L, 64L), (post.ConsumerId, post.Environment, post.RequestBytes, post.ResponseBytes));
        Assert.Equal(Now.AddSeconds(-10), post.Timestamp);
        Assert.Equal("shop", post.Attributes!["service.name"]);
        Assert.Equal(string.Concat(Enumerable.Repeat("ab", 16)) + "0102030405060701", post.EventId);
        var delete = result.Events[1];
        Assert.Equal(("DELETE", "/carts/9", "/carts/{id}", 204), (delete.Method, delete.Path, delete.Route, delete.StatusCode));
        Assert.Null(delete.ConsumerId);
    }

    [Fact]
    public void Spans_that_are_not_http_server_spans_are_ignored_and_broken_server_spans_are_rejected_with_reasons()
    {
        var client = ServerSpan(3, 1, Attr("http.request.method", "GET"), Attr("url.path", "/x"), Attr("http.response.status_code", 200));
        client.Kind = Span.Types.SpanKind.Client;
        var noHttp = ServerSpan(4, 1, Attr("rpc.system", "grpc"));
        var backwards = ServerSpan(5, 1, Attr("http.request.method", "GET"), Attr("url.path", "/x"), Attr("http.response.status_code", 200));
        backwards.EndTimeUnixNano = backwards.StartTimeUnixNano - 1;
        var old = ServerSpan(6, 1, Attr("http.request.method", "GET"), Attr("url.path", "/x"), Attr("http.response.status_code", 200));
        old.StartTimeUnixNano = Nanos(Now.AddDays(-8));
        old.EndTimeUnixNano = old.StartTimeUnixNano + 1_000_000;
        var export = Export([],
            client, noHttp, backwards, old,
            ServerSpan(7, 1, Attr("http.request.method", "_OTHER"), Attr("url.path", "/x"), Attr("http.response.status_code", 200)),
            ServerSpan(8, 1, Attr("http.request.method", "GET"), Attr("url.path", "/x"), Attr("http.response.status_code", 700)),
            ServerSpan(9, 1, Attr("http.request.method", "GET"), Attr("http.response.status_code", 200)),
            ServerSpan(10, 1, Attr("http.request.method", "GET"), Attr("url.path", "/x"), Attr("http.response.status_code", 200), Attr("enduser.id", new string('c', 129))));

        var result = _spans.Convert(export, HttpServerSpans.DefaultConsumerAttribute);
        Assert.Empty(result.Events);
        Assert.Equal(2, result.IgnoredSpans);
        Assert.Equal(6, result.RejectedSpans);
        Assert.Contains(result.RejectionReasons, r => r.Contains("out of order"));
        Assert.Contains(result.RejectionReasons, r => r.Contains("older than 7 days"));
        Assert.Contains(result.RejectionReasons, r => r.Contains("'_OTHER'"));
        Assert.Contains(result.RejectionReasons, r => r.Contains("700"));
        Assert.Contains(result.RejectionReasons, r => r.Contains("no url.path"));
        Assert.Contains(result.RejectionReasons, r => r.Contains("enduser.id: Must be at most 128 characters"));
    }

    [Fact]
    public void OTLP_JSON_reads_hex_ids_integers_as_text_or_numbers_and_ignores_unknown_fields()
    {
        const string json = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}],"droppedAttributesCount":0},
              "schemaUrl":"https://opentelemetry.io/schemas/1.24.0",
              "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"1112131415161718",
                "kind":2,"startTimeUnixNano":"1764071990000000000","endTimeUnixNano":1764071990250000000,"status":{"code":1},
                "attributes":[{"key":"http.response.status_code","value":{"intValue":"404"}},{"key":"tags","value":{"arrayValue":{"values":[]}}},
                              {"key":"ratio","value":{"doubleValue":0.5}},{"key":"sampled","value":{"boolValue":true}}]}]}]}]}
            """;
        var request = OtlpJsonReader.Read(JsonDocument.Parse(json).RootElement);
        var span = request.ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal("0102030405060708090a0b0c0d0e0f10", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal(250_000_000UL, span.EndTimeUnixNano - span.StartTimeUnixNano);
        Assert.Equal(404, span.Attributes[0].Value.IntValue);
        Assert.Equal(0.5, span.Attributes[2].Value.DoubleValue);
        Assert.True(span.Attributes[3].Value.BoolValue);
        Assert.Equal("api", request.ResourceSpans[0].Resource.Attributes[0].Value.StringValue);
    }

    [Theory]
    [InlineData("""{"resourceSpans":{}}""", "'resourceSpans' must be an array")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}""", "'traceId' must be a hex string")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"two"}]}]}]}""", "'kind' must be an integer")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":5}]}]}]}]}""", "'key' must be a string")]
    [InlineData("""{"resourceSpans":[7]}""", "Each item of 'resourceSpans' must be an object")]
    [InlineData("""[]""", "The body must be a JSON object")]
    public void OTLP_JSON_of_the_wrong_shape_is_refused_with_the_field_named(string json, string message)
    {
        var (export, failure) = OtlpEncoding.Parse(OtlpWireFormat.Json, Encoding.UTF8.GetBytes(json));
        Assert.Null(export);
        var problem = Assert.IsType<Http.JsonBodyResult>(failure);
        Assert.Contains(message, ((Http.Problem)problem.Body!).Detail);
    }

    [Fact]
    public void An_export_that_would_expand_into_too_many_objects_is_refused_before_it_is_built()
    {
        // Empty spans are two bytes each on the wire; this many would be a million objects on the heap.
        var manySpans = Export([], Enumerable.Range(0, OtlpEncoding.MaxSpans + 1).Select(_ => new Span()).ToArray()).ToByteArray();
        var manyAttributes = Export([], new Span { Attributes = { Enumerable.Range(0, OtlpEncoding.MaxAttributes + 1).Select(_ => new KeyValue()) } }).ToByteArray();
        var justEnough = Export([], Enumerable.Range(0, OtlpEncoding.MaxSpans).Select(_ => new Span()).ToArray()).ToByteArray();
        var jsonSpans = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" + string.Join(",", Enumerable.Repeat("{}", OtlpEncoding.MaxSpans + 1)) + "]}]}]}";

        foreach (var (format, body) in new[] { (OtlpWireFormat.Protobuf, manySpans), (OtlpWireFormat.Protobuf, manyAttributes), (OtlpWireFormat.Json, Encoding.UTF8.GetBytes(jsonSpans)) })
        {
            var (export, failure) = OtlpEncoding.Parse(format, body);
            Assert.Null(export);
            Assert.Equal(413, Assert.IsType<Http.JsonBodyResult>(failure).StatusCode);
        }
        Assert.Equal(OtlpEncoding.MaxSpans, OtlpEncoding.Parse(OtlpWireFormat.Protobuf, justEnough).Export!.ResourceSpans[0].ScopeSpans[0].Spans.Count);
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x05, 0x12 }, "runs past the end")]
    [InlineData(new byte[] { 0x0b }, "wire type")]
    [InlineData(new byte[] { 0x00 }, "field number is 0")]
    [InlineData(new byte[] { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "longer than 10 bytes")]
    public void Broken_protobuf_is_a_400_naming_the_problem(byte[] body, string message)
    {
        var (_, failure) = OtlpEncoding.Parse(OtlpWireFormat.Protobuf, body);
        var problem = Assert.IsType<Http.JsonBodyResult>(failure);
        Assert.Equal(400, problem.StatusCode);
        Assert.Contains(message, ((Http.Problem)problem.Body!).Detail);
    }

    [Fact]
    public async Task The_response_is_in_the_request_encoding_and_counts_rejected_spans()
    {
        var conversion = new SpanConversion([], 3, 2, ["span 01: no url.path"]);
        var body = await WriteAsync(OtlpEncoding.Response(OtlpWireFormat.Protobuf, conversion, notAllowed: 1));
        var decoded = ExportTraceServiceResponse.Parser.ParseFrom(body);
        Assert.Equal(3, decoded.PartialSuccess.RejectedSpans);
        Assert.Contains("3 spans were not HTTP server spans", decoded.PartialSuccess.ErrorMessage);
        Assert.Contains("1 span was for environments", decoded.PartialSuccess.ErrorMessage);

        var json = JsonDocument.Parse(await WriteAsync(OtlpEncoding.Response(OtlpWireFormat.Json, new SpanConversion([], 0, 0, []), 0)));
        Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        Assert.False(json.RootElement.TryGetProperty("partialSuccess", out _));
    }

    [Fact]
    public void Spans_are_held_to_the_same_edge_store_contract_as_JSON_events_with_the_attribute_named()
    {
        KeyValue[] Http(string path) => [Attr("http.request.method", "GET"), Attr("http.response.status_code", 200), Attr("url.path", path)];
        var export = Export([],
            ServerSpan(1, 1, Http("/a\0b")),
            ServerSpan(2, 1, [.. Http("/a"), Attr("http.route", "/" + new string('\u8def', 342))]),
            ServerSpan(3, 1, [.. Http("/a"), Attr("http.route", "/r\0")]),
            ServerSpan(4, 1, [.. Http("/a"), Attr("http.request.body.size", (1L << 40) + 1)]),
            ServerSpan(5, 1, [.. Http("/a"), Attr("http.response.body.size", -1)]),
            ServerSpan(6, 1, [.. Http("/a"), Attr("enduser.id", "c\0")]),
            ServerSpan(7, 1, [Attr("http.request.method", "GET"), Attr("http.response.status_code", 200), Attr("http.target", "/t\0?q=1")]),
            ServerSpan(8, 1, [.. Http("/ok"), Attr("http.response.body.size", 1L << 40)]));
        export.ResourceSpans.Add(new ResourceSpans
        {
            Resource = new Resource { Attributes = { Attr("deployment.environment", "prod\0") } },
            ScopeSpans = { new ScopeSpans { Spans = { ServerSpan(9, 1, Http("/env")) } } },
        });

        var result = _spans.Convert(export, HttpServerSpans.DefaultConsumerAttribute);
        var ok = Assert.Single(result.Events);
        Assert.Equal(("/ok", 1L << 40), (ok.Path, ok.ResponseBytes));
        Assert.Equal(8, result.RejectedSpans);
        Assert.Equal(
        [
            "span 0102030405060701: url.path: Must not contain U+0000 (the store cannot hold it).",
            "span 0102030405060702: http.route: Must be at most 1,024 bytes of UTF-8.",
            "span 0102030405060703: http.route: Must not contain U+0000 (the store cannot hold it).",
            "span 0102030405060704: http.request.body.size: Must be a whole number from 0 to 1,099,511,627,776 (1 TiB).",
            "span 0102030405060705: http.response.body.size: Must be a whole number from 0 to 1,099,511,627,776 (1 TiB).",
            "span 0102030405060706: enduser.id: Must not contain U+0000 (the store cannot hold it).",
            "span 0102030405060707: http.target: Must not contain U+0000 (the store cannot hold it).",
            "span 0102030405060709: deployment.environment: Must not contain U+0000 (the store cannot hold it).",
        ], result.RejectionReasons);
    }

    [Fact]
    public void A_span_route_derived_from_a_long_path_is_cut_to_fit_and_a_service_name_the_store_cannot_hold_is_left_out()
    {
        var path = "/v1/" + string.Join("/", Enumerable.Range(0, 30).Select(i => $"s{i}{new string('\u8def', 20)}"));
        var export = Export([Attr("service.name", "api\0")],
            ServerSpan(1, 1, Attr("http.request.method", "GET"), Attr("http.response.status_code", 200), Attr("url.path", path)));
        var e = Assert.Single(_spans.Convert(export, HttpServerSpans.DefaultConsumerAttribute).Events);
        Assert.Equal(path, e.Path);
        Assert.True(EventRules.FitsRouteBytes(e.Route));
        Assert.EndsWith(RouteTemplates.Rest, e.Route, StringComparison.Ordinal);
        Assert.Null(e.Attributes);
    }

    [Theory]
    [InlineData("application/x-protobuf", OtlpWireFormat.Protobuf)]
    [InlineData("Application/X-Protobuf; proto=opentelemetry", OtlpWireFormat.Protobuf)]
    [InlineData("application/json", OtlpWireFormat.Json)]
    [InlineData("application/json; charset=utf-8", OtlpWireFormat.Json)]
    [InlineData("APPLICATION/JSON;charset=\"UTF-8\"", OtlpWireFormat.Json)]
    [InlineData("application/jsonfoo", null)]
    [InlineData("application/json-seq", null)]
    [InlineData("text/json", null)]
    [InlineData("application/json; charset=iso-8859-1", null)]
    [InlineData("application/json; charset=utf-16", null)]
    [InlineData("application/x-protobuffer", null)]
    [InlineData("application/*", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_encoding_is_read_from_the_parsed_media_type(string? contentType, OtlpWireFormat? format) =>
        Assert.Equal(format, OtlpEncoding.FromContentType(contentType));

    private static async Task<byte[]> WriteAsync(IActionResult result)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        Assert.Equal(200, context.Response.StatusCode);
        return body.ToArray();
    }
}
