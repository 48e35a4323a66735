using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using PulseStream.Hosting;
using PulseStream.Http;
using PulseStream.Messaging;
using PulseStream.Otlp;
using PulseStream.Tenancy;

namespace PulseStream.Events;

/// <summary>
/// The ingest edge: authenticates the API key (a malformed key or bad checksum costs no lookup), reads the body
/// within the size limit, validates every event, and publishes the valid ones durably before answering.
/// </summary>
public sealed class IngestService(ApiKeyEdgeStore keys, ApiKeyUsage usage, TenantLimitsStore limitsStore, TenantRateLimiter rateLimiter, EventValidator validator, HttpServerSpans spans, IEventPublisher publisher, TimeProvider time, ILogger<IngestService> logger)
{
    public async Task<IActionResult> IngestOneAsync(HttpRequest request, CancellationToken ct)
    {
        var (read, failure) = await AuthenticateAndReadAsync(request, ct);
        if (failure is not null) return failure;
        using var document = read.Document;
        var (apiEvent, errors) = validator.Validate(document.RootElement);
        if (apiEvent is not null && !Allowed(read.Caller.Principal, apiEvent)) (apiEvent, errors) = (null, [EnvironmentNotAllowed(null)]);
        if (apiEvent is null) return ApiResults.BadRequest("invalid-event", "The event is not valid.", errors);
        return await PublishAsync(read.Caller, [apiEvent], () => ApiResults.Accepted(new { accepted = 1 }), ct);
    }

    public async Task<IActionResult> IngestBatchAsync(HttpRequest request, CancellationToken ct)
    {
        var (read, failure) = await AuthenticateAndReadAsync(request, ct);
        if (failure is not null) return failure;
        var stage = PipelineStages.Start();
        using var document = read.Document;
        if (BatchBody.Events(document.RootElement, out var items) is { } notABatch) return notABatch;
        var count = items.GetArrayLength();
        if (count == 0) return ApiResults.BadRequest("invalid-batch", "The batch has no events.");
        if (count > read.Caller.Limits.MaxBatchEvents) return ApiResults.TooLarge($"A batch may hold at most {read.Caller.Limits.MaxBatchEvents} events.");

        var accepted = new List<ApiEvent>(count);
        var errors = new List<FieldError>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var (apiEvent, itemErrors) = validator.Validate(item, index);
            if (apiEvent is not null && Allowed(read.Caller.Principal, apiEvent)) accepted.Add(apiEvent);
            else errors.AddRange(apiEvent is null ? itemErrors : [EnvironmentNotAllowed(index)]);
            index++;
        }
        PipelineStages.Record("edge.validate", stage, count);
        if (accepted.Count == 0) return ApiResults.BadRequest("invalid-batch", "No event in the batch is valid.", errors);
        return await PublishAsync(read.Caller, accepted,
            () => ApiResults.Accepted(new { accepted = accepted.Count, rejected = errors.Select(e => e.Index).Distinct().Count(), errors }), ct);
    }

    /// <summary>
    /// OTLP/HTTP traces, protobuf or JSON: HTTP server spans become events (see <see cref="HttpServerSpans"/>); the
    /// answer is the OTLP response in the request's encoding, with a partial success naming rejected and ignored spans.
    /// </summary>
    public async Task<IActionResult> IngestOtlpTracesAsync(HttpRequest request, CancellationToken ct)
    {
        var (caller, failure) = await AuthenticateAsync(request, ct);
        if (failure is not null) return failure;
        if (OtlpEncoding.FromContentType(request.ContentType) is not { } encoding)
            return ApiResults.UnsupportedMediaType("Send OTLP traces as application/x-protobuf or application/json.");
        var body = await RequestBodyReader.ReadAsync(request, caller.Limits.MaxBodyBytes, caller.Limits.MaxDecompressedBytes, ct);
        if (body.Failure is not null) return body.Failure;
        var (export, parseFailure) = OtlpEncoding.Parse(encoding, body.Body);
        if (parseFailure is not null) return parseFailure;

        var consumerAttribute = request.Headers["X-Consumer-Attribute"].ToString() is { Length: > 0 and <= 128 } configured
            ? configured : HttpServerSpans.DefaultConsumerAttribute;
        var conversion = spans.Convert(export!, consumerAttribute);
        var accepted = conversion.Events.Where(e => Allowed(caller.Principal, e)).ToList();
        var notAllowed = conversion.Events.Count - accepted.Count;
        if (accepted.Count > caller.Limits.MaxBatchEvents)
            return ApiResults.TooLarge($"An export may hold at most {caller.Limits.MaxBatchEvents} HTTP server spans; lower the exporter's batch size.");
        var response = OtlpEncoding.Response(encoding, conversion, notAllowed);
        if (accepted.Count == 0) return response;
        return await PublishAsync(caller, accepted, () => response, ct);
    }

    /// <summary>The authenticated key and its tenant's limits.</summary>
    private readonly record struct Caller(ApiKeyPrincipal Principal, TenantLimits Limits)
    {
        public Guid TenantId => Principal.TenantId;
    }

    private readonly record struct Read(Caller Caller, JsonDocument Document);

    private static bool Allowed(ApiKeyPrincipal key, ApiEvent e) => key.Environments is null || key.Environments.Contains(e.Environment);

    private static FieldError EnvironmentNotAllowed(int? index) => new("environment", "This API key may not send events for this environment.", index);

    private async Task<(Caller Caller, IActionResult? Failure)> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var key = request.Headers["X-Api-Key"].ToString();
        if (key.Length == 0)
            return (default, ApiResults.Unauthorized("missing-api-key", "Send your API key in the X-Api-Key header."));
        if (!ApiKeyFormat.IsWellFormed(key))
            return (default, ApiResults.Unauthorized("malformed-api-key", "The API key is malformed or mistyped."));
        var principal = await keys.FindAsync(ApiKeyFormat.Hash(key), ct);
        if (principal is null)
            return (default, ApiResults.Unauthorized("unknown-api-key", "The API key is unknown or revoked."));

        usage.Touch(principal);
        return (new Caller(principal, await limitsStore.GetAsync(principal.TenantId, ct)), null);
    }

    private async Task<(Read Read, IActionResult? Failure)> AuthenticateAndReadAsync(HttpRequest request, CancellationToken ct)
    {
        var stage = PipelineStages.Start();
        var (caller, failure) = await AuthenticateAsync(request, ct);
        if (failure is not null) return (default, failure);
        stage = PipelineStages.Record("edge.auth", stage, 1);
        var outcome = await JsonBodyReader.ReadAsync(request, caller.Limits.MaxBodyBytes, ct, caller.Limits.MaxDecompressedBytes);
        PipelineStages.Record("edge.read", stage, 1);
        return outcome.Failure is not null ? (default, outcome.Failure) : (new Read(caller, outcome.Document!), null);
    }

    private async Task<IActionResult> PublishAsync(Caller caller, List<ApiEvent> accepted, Func<IActionResult> success, CancellationToken ct)
    {
        var tenantId = caller.TenantId;
        var (allowed, retryAfter) = rateLimiter.TryAcquire(tenantId, accepted.Count, caller.Limits);
        if (!allowed)
        {
            var limited = ApiResults.Problem(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many events.",
                $"This tenant may send {caller.Limits.EventsPerSecond} events per second (bursts up to {caller.Limits.Burst}); retry after the delay.");
            limited.Headers["Retry-After"] = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return limited;
        }
        try
        {
            await publisher.PublishAsync(new EventEnvelope(tenantId, time.GetUtcNow(), accepted), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is reported as accepted unless it was durably published: the client must retry.
            logger.LogError(e, "Publishing {Count} events for tenant {TenantId} failed", accepted.Count, tenantId);
            return ApiResults.Unavailable("The events could not be stored; retry after the delay.", 2);
        }
        return success();
    }
}
