using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PulseStream.Http;

/// <summary>
/// Writes JSON straight to the response, so results work the same under the Functions ASP.NET Core integration
/// and the local host without MVC's formatter services.
/// </summary>
public sealed class JsonBodyResult(object? body, int statusCode, string contentType = "application/json") : IActionResult
{
    public object? Body { get; } = body;
    public int StatusCode { get; } = statusCode;
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();

    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        foreach (var (name, value) in Headers) response.Headers[name] = value;
        if (Body is null) return;
        response.ContentType = contentType;
        await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), Json.Options, context.HttpContext.RequestAborted);
    }
}

/// <summary>One field's problem in a request or a batch item.</summary>
public sealed record FieldError(string Field, string Message, int? Index = null);

/// <summary>RFC 9457 problem details with a stable <c>type</c> per failure.</summary>
public sealed record Problem(string Type, string Title, int Status, string? Detail = null, IReadOnlyList<FieldError>? Errors = null);

/// <summary>Factory for the API's results: success bodies and <c>application/problem+json</c> failures.</summary>
public static class ApiResults
{
    public const string ProblemBase = "https://pulsestream.dev/problems/";

    public static JsonBodyResult Ok(object body) => new(body, StatusCodes.Status200OK);
    public static JsonBodyResult Created(object body) => new(body, StatusCodes.Status201Created);
    public static JsonBodyResult Accepted(object body) => new(body, StatusCodes.Status202Accepted);
    public static JsonBodyResult NoContent() => new(null, StatusCodes.Status204NoContent);

    public static JsonBodyResult Problem(int status, string type, string title, string? detail = null, IReadOnlyList<FieldError>? errors = null) =>
        new(new Problem(ProblemBase + type, title, status, detail, errors), status, "application/problem+json");

    public static JsonBodyResult BadRequest(string type, string detail, IReadOnlyList<FieldError>? errors = null) =>
        Problem(StatusCodes.Status400BadRequest, type, "The request is not valid.", detail, errors);

    public static JsonBodyResult Unauthorized(string type, string detail) =>
        Problem(StatusCodes.Status401Unauthorized, type, "Authentication is required.", detail);

    public static JsonBodyResult Forbidden(string detail) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", "The caller's role does not allow this.", detail);

    public static JsonBodyResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, "not-found", "Not found.", detail);

    public static JsonBodyResult TooLarge(string detail) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "The request body is too large.", detail);

    public static JsonBodyResult UnsupportedMediaType(string detail) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The content type is not supported.", detail);

    public static JsonBodyResult Unavailable(string detail, int retryAfterSeconds)
    {
        var result = Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The service is temporarily unavailable.", detail);
        result.Headers["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return result;
    }
}

/// <summary>A body already encoded, written as is (protocol responses such as OTLP's).</summary>
public sealed class RawBodyResult(byte[] body, int statusCode, string contentType) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.HttpContext.RequestAborted);
    }
}
