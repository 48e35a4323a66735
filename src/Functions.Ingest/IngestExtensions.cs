using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PulseStream.Events;
using PulseStream.Hosting;

namespace PulseStream.Functions.Ingest;

public static class IngestExtensions
{
    /// <summary>The ingest edge: validation, API-key lookup and the Event Hubs publisher.</summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<EventValidator>();
        builder.Services.TryAddSingleton<Otlp.HttpServerSpans>();
        builder.Services.TryAddSingleton<IngestService>();
        builder.Services.AddEventHubsPublisher(builder.Configuration);
        return builder;
    }
}
