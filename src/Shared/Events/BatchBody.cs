using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using PulseStream.Http;

namespace PulseStream.Events;

/// <summary>
/// The top level of a batch body, <c>{"events":[…]}</c>: a key sent twice is refused, as in an event object, since
/// which one a reader takes (the first, the last) is the reader's choice, not the client's.
/// </summary>
public static class BatchBody
{
    /// <summary>The <c>events</c> array, or the 400 problem that says why the body is not a batch.</summary>
    public static IActionResult? Events(JsonElement root, out JsonElement items)
    {
        items = default;
        if (root.ValueKind != JsonValueKind.Object) return NotABatch();
        var found = false;
        HashSet<string>? others = null;
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals("events"u8))
            {
                if (found) return Duplicate("events");
                (found, items) = (true, property.Value);
            }
            else if (!(others ??= new HashSet<string>(StringComparer.Ordinal)).Add(property.Name)) return Duplicate(property.Name);
        }
        return found && items.ValueKind == JsonValueKind.Array ? null : NotABatch();
    }

    private static IActionResult NotABatch() => ApiResults.BadRequest("invalid-batch", "The body must be an object with an 'events' array.");

    private static IActionResult Duplicate(string key) =>
        ApiResults.BadRequest("invalid-batch", $"The body has the key '{key}' more than once.", [new FieldError(key, EventRules.DuplicateKeyProblem)]);
}
