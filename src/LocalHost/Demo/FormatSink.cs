using System.Collections.Concurrent;
using System.Text.Json;

namespace PulseStream.LocalHost.Demo;

/// <summary>A message the format sink received: which service it imitated, whether the shape was the service's, and the body.</summary>
public sealed record ReceivedFormatMessage(string Service, DateTimeOffset ReceivedAt, bool Valid, string? Problem, JsonElement Body);

/// <summary>
/// Stands in for Slack, Microsoft Teams and PagerDuty on the local host, at <c>/local/format-sink/{slack|teams|pagerduty}</c>:
/// checks each message has the shape the service requires (Slack: Block Kit <c>blocks</c>; Teams: a message with an
/// Adaptive Card attachment; PagerDuty: an Events API v2 event), answers as the service does (Slack 200 <c>ok</c>,
/// Teams 202, PagerDuty 202 with <c>dedup_key</c>; 400 on a bad shape), and lists the last 100 at
/// <c>GET /local/format-sink</c>.
/// </summary>
public sealed class FormatSink(TimeProvider time, ILogger<FormatSink> logger)
{
    public const string Path = "/local/format-sink";
    private readonly ConcurrentQueue<ReceivedFormatMessage> _received = new();

    public async Task<IResult> ReceiveAsync(HttpContext context, string service)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Results.BadRequest("invalid_payload");
        }
        var problem = service switch
        {
            "slack" => SlackProblem(body),
            "teams" => TeamsProblem(body),
            "pagerduty" => PagerDutyProblem(body),
            _ => null,
        };
        if (service is not ("slack" or "teams" or "pagerduty")) return Results.NotFound();
        _received.Enqueue(new ReceivedFormatMessage(service, time.GetUtcNow(), problem is null, problem, body));
        while (_received.Count > 100) _received.TryDequeue(out _);
        logger.LogInformation("{Service}-format message received: {Verdict}", service, problem ?? "valid");
        if (problem is not null)
            return service == "pagerduty" ? Results.Json(new { status = "invalid event", message = "Event object is invalid", errors = new[] { problem } }, statusCode: 400)
                : Results.BadRequest(service == "slack" ? "invalid_blocks" : problem);
        return service switch
        {
            "slack" => Results.Text("ok"),
            "teams" => Results.StatusCode(StatusCodes.Status202Accepted),
            _ => Results.Json(new { status = "success", message = "Event processed", dedup_key = body.GetProperty("dedup_key").GetString() }, statusCode: 202),
        };
    }

    public IResult List() => Results.Json(_received.Reverse().ToArray());

    private static string? SlackProblem(JsonElement body)
    {
        if (!body.TryGetProperty("blocks", out var blocks) || blocks.ValueKind != JsonValueKind.Array || blocks.GetArrayLength() == 0) return "blocks is required";
        foreach (var block in blocks.EnumerateArray())
            if (!block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String) return "every block needs a type";
        return null;
    }

    private static string? TeamsProblem(JsonElement body)
    {
        if (!body.TryGetProperty("attachments", out var attachments) || attachments.ValueKind != JsonValueKind.Array || attachments.GetArrayLength() == 0)
            return "attachments is required";
        var card = attachments[0];
        if (!card.TryGetProperty("contentType", out var contentType) || contentType.GetString() != "application/vnd.microsoft.card.adaptive")
            return "the attachment must be an Adaptive Card";
        if (!card.TryGetProperty("content", out var content) || !content.TryGetProperty("type", out var type) || type.GetString() != "AdaptiveCard"
            || !content.TryGetProperty("body", out var cardBody) || cardBody.ValueKind != JsonValueKind.Array)
            return "the card must be an AdaptiveCard with a body";
        return null;
    }

    private static string? PagerDutyProblem(JsonElement body)
    {
        if (!body.TryGetProperty("routing_key", out var key) || key.GetString() is not { Length: 32 }) return "routing_key must be 32 characters";
        if (!body.TryGetProperty("event_action", out var action) || action.GetString() is not ("trigger" or "acknowledge" or "resolve"))
            return "event_action must be trigger, acknowledge or resolve";
        if (!body.TryGetProperty("dedup_key", out var dedup) || dedup.GetString() is not { Length: > 0 and <= 255 }) return "dedup_key is required";
        if (action.GetString() == "trigger")
        {
            if (!body.TryGetProperty("payload", out var payload)) return "payload is required for trigger";
            if (!payload.TryGetProperty("summary", out var summary) || summary.GetString() is not { Length: > 0 and <= 1024 }) return "payload.summary is required";
            if (!payload.TryGetProperty("source", out var source) || source.GetString() is not { Length: > 0 }) return "payload.source is required";
            if (!payload.TryGetProperty("severity", out var severity) || severity.GetString() is not ("critical" or "error" or "warning" or "info"))
                return "payload.severity must be critical, error, warning or info";
        }
        return null;
    }
}
