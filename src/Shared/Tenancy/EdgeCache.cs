using System.Collections.Concurrent;

namespace PulseStream.Tenancy;

/// <summary>
/// The ingest edge's cache of records it needs on every request (API keys, tenant limits), read from Table storage.
/// A value is never served older than <c>ttl</c>, so a change (a revoked key, a lowered limit) takes effect within it.
/// <list type="bullet">
/// <item>One load per key at a time: the requests that miss together share it, rather than each sending its own
/// lookup to Table storage (at 1,000 requests/s a 5 ms lookup would otherwise be sent five times).</item>
/// <item>Refresh ahead: once a value is past half its lifetime, the next request starts a background reload and is
/// served the cached value, so a busy key never makes a request wait for Table storage.</item>
/// </list>
/// </summary>
public sealed class EdgeCache<TKey, TValue>(Func<TKey, CancellationToken, Task<TValue>> load, TimeSpan ttl, TimeProvider time, int maxEntries = 100_000)
    where TKey : notnull
{
    private sealed record Entry(TValue Value, DateTimeOffset LoadedAt);

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _loading = new();

    public async Task<TValue> GetAsync(TKey key, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && now - entry.LoadedAt < ttl)
        {
            if (now - entry.LoadedAt >= ttl / 2) _ = RefreshInBackgroundAsync(key);
            return entry.Value;
        }
        // A caller that gives up does not cancel the load the others wait for.
        return await LoadOnceAsync(key).WaitAsync(ct);
    }

    /// <summary>Forgets a key in this instance at once (other instances see the change within the lifetime).</summary>
    public void Invalidate(TKey key) => _entries.TryRemove(key, out _);

    private async Task RefreshInBackgroundAsync(TKey key)
    {
        try
        {
            await LoadOnceAsync(key);
        }
        catch (Exception)
        {
            // The cached value stays until its lifetime ends; the request after that loads it again and sees the error.
        }
    }

    private Task<TValue> LoadOnceAsync(TKey key) =>
        _loading.GetOrAdd(key, k => new Lazy<Task<TValue>>(() => LoadAndStoreAsync(k))).Value;

    private async Task<TValue> LoadAndStoreAsync(TKey key)
    {
        try
        {
            var loadedAt = time.GetUtcNow();
            var value = await load(key, CancellationToken.None);
            if (_entries.Count >= maxEntries) _entries.Clear();
            _entries[key] = new Entry(value, loadedAt);
            return value;
        }
        finally
        {
            _loading.TryRemove(key, out _);
        }
    }
}
