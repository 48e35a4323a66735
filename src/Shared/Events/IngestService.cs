using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using PulseStream.Http;
using PulseStream.Messaging;
using PulseStream.Tenancy;

namespace PulseStream.Events;

/// <summary>
/// The ingest edge: authenticates the API key (a malformed key or bad checksum costs no lookup), reads the body
/// within the size limit, validates every event, and publishes the valid ones durably before answering 202.
/// </summary>
public sealed class IngestService(ApiKeyEdgeStore keys, ApiKeyUsage usage, TenantLimitsStore limitsStore, TenantRateLimiter rateLimiter, EventValidator validator, IEventPublisher publisher, TimeProvider time, ILogger<IngestService> logger)
{

    public async Task<IActionResult> IngestOneAsync(HttpRequest request, CancellationToken ct)
    {
        var (read, failure) = await AuthenticateAndReadAsync(request, ct);
        if (failure is not null) return failure.Value.Result;
        using var document = read.Document;
        var (apiEvent, errors) = validator.Validate(document.RootElement);
        if (apiEvent is not null && !Allowed(read.Principal, apiEvent)) (apiEvent, errors) = (null, [EnvironmentNotAllowed(null)]);
        if (apiEvent is null) return ApiResults.BadRequest("invalid-event", "The event is not valid.", errors);
        return await PublishAsync(read, [apiEvent], () => new { accepted = 1 }, ct);
    }

    public async Task<IActionResult> IngestBatchAsync(HttpRequest request, CancellationToken ct)
    {
        var (read, failure) = await AuthenticateAndReadAsync(request, ct);
        if (failure is not null) return failure.Value.Result;
        using var document = read.Document;
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("events", out var items) || items.ValueKind != JsonValueKind.Array)
            return ApiResults.BadRequest("invalid-batch", "The body must be an object with an 'events' array.");
        var count = items.GetArrayLength();
        if (count == 0) return ApiResults.BadRequest("invalid-batch", "The batch has no events.");
        if (count > read.Limits.MaxBatchEvents) return ApiResults.TooLarge($"A batch may hold at most {read.Limits.MaxBatchEvents} events.");

        var accepted = new List<ApiEvent>(count);
        var errors = new List<FieldError>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var (apiEvent, itemErrors) = validator.Validate(item, index);
            if (apiEvent is not null && Allowed(read.Principal, apiEvent)) accepted.Add(apiEvent);
            else errors.AddRange(apiEvent is null ? itemErrors : [EnvironmentNotAllowed(index)]);
            index++;
        }
        if (accepted.Count == 0) return ApiResults.BadRequest("invalid-batch", "No event in the batch is valid.", errors);
        return await PublishAsync(read, accepted,
            () => new { accepted = accepted.Count, rejected = errors.Select(e => e.Index).Distinct().Count(), errors }, ct);
    }

    private readonly record struct Read(ApiKeyPrincipal Principal, TenantLimits Limits, JsonDocument Document)
    {
        public Guid TenantId => Principal.TenantId;
    }

    private static bool Allowed(ApiKeyPrincipal key, ApiEvent e) => key.Environments is null || key.Environments.Contains(e.Environment);

    private static FieldError EnvironmentNotAllowed(int? index) => new("environment", "This API key may not send events for this environment.", index);
    private readonly record struct Failure(IActionResult Result);

    private async Task<(Read Read, Failure? Failure)> AuthenticateAndReadAsync(HttpRequest request, CancellationToken ct)
    {
        var key = request.Headers["X-Api-Key"].ToString();
        if (key.Length == 0)
            return (default, new Failure(ApiResults.Unauthorized("missing-api-key", "Send your API key in the X-Api-Key header.")));
        if (!ApiKeyFormat.IsWellFormed(key))
            return (default, new Failure(ApiResults.Unauthorized("malformed-api-key", "The API key is malformed or mistyped.")));
        var principal = await keys.FindAsync(ApiKeyFormat.Hash(key), ct);
        if (principal is null)
            return (default, new Failure(ApiResults.Unauthorized("unknown-api-key", "The API key is unknown or revoked.")));

        usage.Touch(principal);
        var limits = await limitsStore.GetAsync(principal.TenantId, ct);
        var outcome = await JsonBodyReader.ReadAsync(request, limits.MaxBodyBytes, ct, limits.MaxDecompressedBytes);
        return outcome.Failure is not null
            ? (default, new Failure(outcome.Failure))
            : (new Read(principal, limits, outcome.Document!), null);
    }

    private async Task<IActionResult> PublishAsync(Read read, List<ApiEvent> accepted, Func<object> acceptedBody, CancellationToken ct)
    {
        var tenantId = read.TenantId;
        var (allowed, retryAfter) = rateLimiter.TryAcquire(tenantId, accepted.Count, read.Limits);
        if (!allowed)
        {
            var limited = ApiResults.Problem(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many events.",
                $"This tenant may send {read.Limits.EventsPerSecond} events per second (bursts up to {read.Limits.Burst}); retry after the delay.");
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
        return ApiResults.Accepted(acceptedBody());
    }
}
