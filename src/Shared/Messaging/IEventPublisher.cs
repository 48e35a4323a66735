using PulseStream.Events;

namespace PulseStream.Messaging;

/// <summary>
/// Publishes accepted events durably. When the returned task completes, the events are stored in the event hub
/// (or the local event log); when it throws, nothing may be reported to the client as accepted.
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync(EventEnvelope envelope, CancellationToken ct);
}

/// <summary>The hub names and the consumer groups of the design.</summary>
public static class EventHubNames
{
    public const string HubSetting = "EventHubName";
    public const string DefaultHub = "api-events";
    public const string AlertsConsumerGroup = "alerts";
    public const string RealtimeConsumerGroup = "realtime";
}
