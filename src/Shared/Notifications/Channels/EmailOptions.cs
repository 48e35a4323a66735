namespace PulseStream.Notifications.Channels;

/// <summary>
/// How e-mail leaves (app settings <c>Email__*</c>): <c>Transport</c> is <c>acs</c> (Azure Communication Services
/// Email, REST with HMAC-SHA256 signing), <c>smtp</c> (MailKit) or empty (e-mail channels then fail permanently,
/// saying so). <c>From</c> is the sender address (for ACS, a verified <c>DoNotReply@…</c> address of its domain).
/// </summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    public string? Transport { get; set; }
    public string From { get; set; } = "alerts@pulsestream.local";
    public string FromName { get; set; } = "PulseStream";
    public SmtpSettings Smtp { get; set; } = new();
    public AcsSettings Acs { get; set; } = new();

    public sealed class SmtpSettings
    {
        public string? Host { get; set; }
        public int Port { get; set; } = 587;
        /// <summary><c>starttls</c> (default), <c>tls</c> (implicit, port 465) or <c>none</c> (a local relay only).</summary>
        public string Security { get; set; } = "starttls";
        public string? Username { get; set; }
        public string? Password { get; set; }
    }

    public sealed class AcsSettings
    {
        /// <summary>The resource's endpoint, <c>https://&lt;name&gt;.communication.azure.com</c>.</summary>
        public string? Endpoint { get; set; }
        /// <summary>The resource's access key (base64), as in its connection string's <c>accesskey=</c>.</summary>
        public string? AccessKey { get; set; }
    }
}

/// <summary>No transport configured: every e-mail fails at once, permanently, with the reason.</summary>
public sealed class UnconfiguredEmailTransport : IEmailTransport
{
    public Task<SendOutcome> SendAsync(EmailMessage message, CancellationToken ct) =>
        Task.FromResult(SendOutcome.Failure("No e-mail transport is configured (set Email__Transport to acs or smtp).", TimeSpan.Zero, permanent: true));
}
