using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using PulseStream.Events;
using PulseStream.Hosting;

namespace PulseStream.Functions.Ingest;

/// <summary>The ingest routes: API key in <c>X-Api-Key</c>, one event or a batch, 202 once durably published.</summary>
public sealed class IngestFunctions(IngestService ingest, Health health)
{
    [Function(nameof(IngestEvent))]
    public Task<IActionResult> IngestEvent([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/events")] HttpRequest request) =>
        ingest.IngestOneAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(IngestBatch))]
    public Task<IActionResult> IngestBatch([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/events/batch")] HttpRequest request) =>
        ingest.IngestBatchAsync(request, request.HttpContext.RequestAborted);

    [Function(nameof(IngestOtlpTraces))]
    public Task<IActionResult> IngestOtlpTraces([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "otlp/v1/traces")] HttpRequest request) =>
        ingest.IngestOtlpTracesAsync(request, request.HttpContext.RequestAborted);

    [Function("IngestHealth")]
    public Task<IActionResult> HealthCheck([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        health.CheckAsync("ingest", request.HttpContext.RequestAborted);
}
