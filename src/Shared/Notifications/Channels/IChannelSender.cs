namespace PulseStream.Notifications.Channels;

/// <summary>Renders a notification for one channel type and sends it once.</summary>
public interface IChannelSender
{
    /// <summary>The channel type this sender serves (<see cref="ChannelTypes"/>).</summary>
    string Type { get; }

    Task<SendOutcome> SendAsync(Channel channel, ChannelSecrets secrets, Notification notification, AlertFacts facts, CancellationToken ct);
}
