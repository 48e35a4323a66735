using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PulseStream.Http;

/// <summary>Bounded integer query parameters with the API's error shape.</summary>
public static class QueryParameters
{
    /// <summary>The value of <paramref name="name"/>, its default when absent, or a 400 when malformed or out of range.</summary>
    public static (int Value, IActionResult? Failure) Int(HttpRequest request, string name, int defaultValue, int min, int max)
    {
        if (request.Query[name].FirstOrDefault() is not { } text) return (defaultValue, null);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? (value, null)
            : (0, ApiResults.BadRequest($"invalid-{name}", $"{name} must be from {min} to {max}."));
    }
}
