namespace PulseStream.Events;

/// <summary>
/// Finds the items of a failing unit of work that fail on their own: the group is tried whole, and a group that
/// fails is split in halves, recursively, down to single items. An attempt either takes effect completely or not at
/// all (the caller rolls it back), so every item that is not returned has taken effect exactly once. Items that
/// fail only together (two values whose sum cannot be kept) take effect separately.
/// </summary>
public static class Bisection
{
    /// <summary>
    /// Applies <paramref name="items"/> through <paramref name="attempt"/>, which returns null on success or the
    /// error of a failed (and rolled back) attempt; returns each item that failed alone, with its error.
    /// <paramref name="groupError"/> is the error of an attempt of exactly this group already made: it is not
    /// tried whole again.
    /// </summary>
    public static async Task<List<(T Item, Exception Error)>> IsolateAsync<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, Task<Exception?>> attempt,
        Exception? groupError = null)
    {
        var failed = new List<(T, Exception)>();
        await IsolateAsync(items, attempt, groupError, failed);
        return failed;
    }

    private static async Task IsolateAsync<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, Task<Exception?>> attempt, Exception? knownError,
        List<(T, Exception)> failed)
    {
        if (items.Count == 0) return;
        var error = knownError ?? await attempt(items);
        if (error is null) return;
        if (items.Count == 1)
        {
            failed.Add((items[0], error));
            return;
        }
        var half = items.Count / 2;
        await IsolateAsync(Slice(items, 0, half), attempt, null, failed);
        await IsolateAsync(Slice(items, half, items.Count - half), attempt, null, failed);
    }

    private static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (var i = 0; i < count; i++) slice[i] = items[start + i];
        return slice;
    }
}
