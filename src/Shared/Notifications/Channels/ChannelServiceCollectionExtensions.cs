using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PulseStream.Notifications.Channels;

/// <summary>Channels: their store and routes, one sender per type, the e-mail transport, the guarded HTTP client.</summary>
public static class ChannelServiceCollectionExtensions
{
    public static IServiceCollection AddChannels(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ChannelStore))) return services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section);
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section)
            .Validate(o => o.Transport is null or "" or "smtp" or "acs", "Email:Transport must be smtp, acs or empty.")
            .Validate(o => o.Transport != "smtp" || !string.IsNullOrEmpty(o.Smtp.Host), "Email:Smtp:Host is required with the smtp transport.")
            .Validate(o => o.Transport != "acs" || (Uri.TryCreate(o.Acs.Endpoint, UriKind.Absolute, out _) && IsBase64(o.Acs.AccessKey)),
                "Email:Acs:Endpoint (a URL) and Email:Acs:AccessKey (base64) are required with the acs transport.")
            .ValidateOnStart();
        services.AddHttpClient(ChannelHttp.ClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            // The factory's own logging writes each request's URL, and a Slack or Teams URL's path is its credential.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(sp => OutboundHttp.CreateHandler(sp.GetRequiredService<IOptions<NotificationOptions>>().Value));
        services.TryAddSingleton<ChannelHttp>();
        services.TryAddSingleton<ChannelStore>();
        services.TryAddSingleton<ChannelTestThrottle>();
        services.TryAddSingleton<ChannelEndpoints>();
        // After the migrations (registered first, by AddPulseStreamDefaults): old rows' plain targets are encrypted.
        services.AddHostedService<LegacyChannelTargets>();
        services.AddSingleton<IChannelSender, WebhookChannelSender>();
        services.AddSingleton<IChannelSender, SlackChannelSender>();
        services.AddSingleton<IChannelSender, TeamsChannelSender>();
        services.AddSingleton<IChannelSender, PagerDutyChannelSender>();
        services.AddSingleton<IChannelSender, EmailChannelSender>();
        services.TryAddSingleton<IEmailTransport>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Transport switch
        {
            "smtp" => ActivatorUtilities.CreateInstance<SmtpEmailTransport>(sp),
            "acs" => ActivatorUtilities.CreateInstance<AcsEmailTransport>(sp),
            _ => new UnconfiguredEmailTransport(),
        });
        // The product's sender replaces any interim one (the webhook-only default), whichever was registered first.
        services.Replace(ServiceDescriptor.Singleton<INotificationSender, ChannelNotificationSender>());
        return services;
    }

    private static bool IsBase64(string? value) => !string.IsNullOrEmpty(value) && Convert.TryFromBase64String(value, new byte[value.Length], out _);
}
