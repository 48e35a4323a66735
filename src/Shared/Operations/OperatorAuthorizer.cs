using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PulseStream.Http;

namespace PulseStream.Operations;

/// <summary>Operator settings (app settings <c>Operations__*</c>).</summary>
public sealed class OperationsOptions
{
    public const string Section = "Operations";

    /// <summary>
    /// The key an operator sends in <c>X-Operator-Key</c> (a Key Vault reference in Azure; generated into
    /// <c>.pulse/secrets.json</c> locally). Empty: the operator routes are off and answer 404.
    /// </summary>
    public string? OperatorKey { get; set; }

    public const int MinKeyLength = 32;
}

/// <summary>
/// The operator routes' gate: the <c>X-Operator-Key</c> header against the configured key, compared as SHA-256
/// hashes in constant time (the key itself is not kept in memory beyond start-up). Without a configured key the routes
/// do not exist (404 <c>not-found</c>); a missing or wrong key is 401.
/// </summary>
public sealed class OperatorAuthorizer(IOptions<OperationsOptions> options, ILogger<OperatorAuthorizer> logger)
{
    public const string Header = "X-Operator-Key";

    private readonly byte[]? _keyHash = options.Value.OperatorKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    /// <summary>Null when the caller may operate; otherwise the problem to answer.</summary>
    public IActionResult? Authorize(HttpRequest request)
    {
        if (_keyHash is null) return ApiResults.NotFound("There is nothing at this address.");
        var presented = request.Headers[Header];
        if (presented.Count == 0 || string.IsNullOrEmpty(presented[0]))
            return ApiResults.Unauthorized("missing-operator-key", $"Send the operator key in the {Header} header.");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented[0]!));
        if (presented.Count == 1 && CryptographicOperations.FixedTimeEquals(hash, _keyHash)) return null;
        logger.LogWarning("An operator route was called with a wrong operator key from {ClientAddress}", request.HttpContext.Connection.RemoteIpAddress);
        return ApiResults.Unauthorized("invalid-operator-key", "The operator key is not valid.");
    }

    /// <summary>Authorizes, then runs <paramref name="action"/>; a refusal short-circuits.</summary>
    public async Task<IActionResult> RunAsync(HttpRequest request, Func<Task<IActionResult>> action) => Authorize(request) ?? await action();
}
