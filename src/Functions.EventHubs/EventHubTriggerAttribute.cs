using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

#if CLOUD_BUILD
[assembly: ExtensionInformation("Microsoft.Azure.WebJobs.Extensions.EventHubs", "6.5.2")]
#endif

namespace PulseStream.Functions.EventHubs;

/// <summary>
/// Binds a function to a batch of events from an Event Hub. Its generated function metadata has the same
/// shape as the official extension's attribute (<c>eventHubTrigger</c>, <c>eventHubName</c>, <c>connection</c>,
/// <c>consumerGroup</c>, <c>cardinality</c>), so the Functions host runs it unchanged in Azure, and the PulseStream
/// local host binds it to the local event log.
/// </summary>
/// <remarks>Derives directly from <see cref="TriggerBindingAttribute"/>: the SDK generator only recognises bindings
/// whose base's base is <c>BindingAttribute</c>.</remarks>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class EventHubTriggerAttribute(string eventHubName) : TriggerBindingAttribute
{
    /// <summary>The event hub name, or an app setting name wrapped in %...%.</summary>
    public string EventHubName { get; } = eventHubName;

    /// <summary>The app setting (prefix) holding the connection string or the fully qualified namespace.</summary>
    public string? Connection { get; set; }

    /// <summary>The consumer group; <c>$Default</c> when not set.</summary>
    public string? ConsumerGroup { get; set; }

    /// <summary>Whether events are delivered in batches (cardinality many).</summary>
    [DefaultValue(true)]
    public bool IsBatched { get; set; } = true;
}
