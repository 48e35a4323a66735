using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PulseStream.Http;

/// <summary>A problem answer that the log can be matched with: the id under which the failure was logged.</summary>
public sealed record CorrelatedProblem(string Type, string Title, int Status, string Detail, string CorrelationId);

/// <summary>
/// What a client is told when a request failed in a way no code path answered (RFC 9457 problem details, and nothing
/// else): Postgres unreachable is 503 <c>unavailable</c> with <c>Retry-After</c>; a request the server could not read is
/// its 4xx; anything else is 500 <c>internal-error</c>. Both carry a correlation id (the trace id), in the body and the
/// <see cref="CorrelationHeader"/> header; the exception itself goes only to the log, under that id. Error statuses
/// that come without a body (no route, wrong method, a bare 401) get the problem body of their status. One mapping
/// for the local host's middleware and the function apps' worker middleware, so a client gets the same answer from
/// both.
/// </summary>
public static class UnhandledErrors
{
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>How long a client should wait before retrying while the database is unreachable.</summary>
    public const int RetryAfterSeconds = 2;

    /// <summary>Failures that mean Postgres cannot be reached now, rather than that the request or the code is wrong.</summary>
    public static bool IsDatabaseUnreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Shutting down, crashed, starting up, too many connections; class 08: the connection failed.
                case PostgresException postgres:
                    return postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                        or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
                        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
                // Npgsql's own exceptions are transient exactly when a socket, a read or a timeout failed: the server
                // refused or dropped the connection, or did not answer (connecting, or with the pool exhausted).
                case NpgsqlException { IsTransient: true }:
                    return true;
            }
        }
        return false;
    }

    /// <summary>The id that ties an answer to its log entries: the request's trace id (W3C), else the server's request id.</summary>
    public static string CorrelationId(HttpContext context) =>
        Activity.Current is { TraceId: var traceId } && traceId != default ? traceId.ToHexString() : context.TraceIdentifier;

    /// <summary>
    /// Logs <paramref name="exception"/> under a correlation id and answers the client with its problem. A client that
    /// went away gets nothing; a response already under way cannot be replaced and is cut off instead.
    /// </summary>
    public static async Task HandleAsync(HttpContext context, Exception exception, ILogger logger)
    {
        var request = context.Request;
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            logger.LogDebug("The client of {Method} {Path} went away", request.Method, request.Path);
            return;
        }
        var correlationId = CorrelationId(context);
        var (status, type, title, detail) = Classify(exception);
        // The path only: a query string may carry a token (SignalR's access_token).
        if (status == StatusCodes.Status500InternalServerError)
            logger.LogError(exception, "Unhandled error {CorrelationId} answering {Method} {Path}", correlationId, request.Method, request.Path);
        else
            logger.LogWarning(exception, "Error {CorrelationId} answering {Method} {Path}: {Status}", correlationId, request.Method, request.Path, status);

        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear(); // nothing the failed code set (headers, a content type) goes out with the problem
        var result = new JsonBodyResult(new CorrelatedProblem(ApiResults.ProblemBase + type, title, status, detail, correlationId), status, "application/problem+json");
        result.Headers[CorrelationHeader] = correlationId;
        if (status == StatusCodes.Status503ServiceUnavailable)
            result.Headers["Retry-After"] = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await result.ExecuteResultAsync(new ActionContext { HttpContext = context });
    }

    private static (int Status, string Type, string Title, string Detail) Classify(Exception exception) => exception switch
    {
        _ when IsDatabaseUnreachable(exception) => (StatusCodes.Status503ServiceUnavailable, "unavailable",
            "The service is temporarily unavailable.", "Retry after the delay in the Retry-After header."),
        // The server could not read the request (a body over the server's limit, a malformed or too slow body).
        BadHttpRequestException bad when bad.StatusCode is >= 400 and < 500 => (bad.StatusCode, StatusType(bad.StatusCode),
            StatusTitle(bad.StatusCode), "The request could not be read."),
        _ => (StatusCodes.Status500InternalServerError, "internal-error", "An unexpected error occurred.",
            "The error was logged under the correlation id; quote it when reporting the problem."),
    };

    /// <summary>True when an error status went out without a body, so the problem of its status can be written.</summary>
    public static bool NeedsProblemBody(HttpResponse response) =>
        !response.HasStarted && response.StatusCode >= 400 && response.ContentType is null && response.ContentLength is null or 0;

    /// <summary>Writes the problem of a bare error status: no route (404), a route without this method (405, its Allow kept), and the like.</summary>
    public static Task WriteStatusProblemAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var detail = status switch
        {
            StatusCodes.Status404NotFound => "Nothing is served at this address.",
            StatusCodes.Status405MethodNotAllowed => "This route does not take this method; the Allow header lists those it takes.",
            StatusCodes.Status401Unauthorized => "A valid credential is required.",
            _ => null,
        };
        return ApiResults.Problem(status, StatusType(status), StatusTitle(status), detail).ExecuteResultAsync(new ActionContext { HttpContext = context });
    }

    private static string StatusType(int status) => status switch
    {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "request-timeout",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        431 => "headers-too-large",
        _ => $"http-{status}",
    };

    private static string StatusTitle(int status) => status switch
    {
        404 => "Not found.",
        405 => "Method not allowed.",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase + "." : "Error.",
    };
}
