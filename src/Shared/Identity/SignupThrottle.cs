using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Identity;

/// <summary>Signup limits (app settings <c>Auth__Signup__*</c>).</summary>
public sealed class SignupThrottleOptions
{
    public const string Section = "Auth:Signup";

    /// <summary>Signups per client address per hour (a burst of this many, then refilled evenly over the hour).</summary>
    [Range(1, 1_000_000)]
    public int PerAddressPerHour { get; set; } = 5;

    /// <summary>Signups per minute from all addresses together, refilled evenly (one every 3 s by default).</summary>
    [Range(1, 1_000_000)]
    public int PerMinute { get; set; } = 20;

    /// <summary>
    /// Signups from all addresses admitted back to back before the per-minute rate applies. Small, because each is a
    /// CPU-heavy hash: a burst of 5 costs about a core-second and a half, where one of 20 would hold a core for six.
    /// </summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 5;

    /// <summary>Signup password hashes computed at the same time on one instance; the rest wait for a slot.</summary>
    [Range(1, 64)]
    public int ConcurrentHashes { get; set; } = 1;

    /// <summary>
    /// Signup hashes on one instance start at least this far apart, so that even a flood within the limits takes
    /// only a fraction of one core (a hash is about 0.25 s of CPU) and never runs them back to back.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan HashSpacing { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a signup waits for a hashing slot before it is refused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan SlotWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a refusal is held before it is answered. Waiting costs the server nothing, while a client that
    /// ignores <c>Retry-After</c> and signs up again as soon as it is answered would otherwise take the CPU of its
    /// refusals from the logins (measured: 16 such clients sent 1,000 signups a second and slowed logins 2.7×).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan RefusalDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Throttles anonymous signup before anything costly runs (the e-mail lookup and the 600,000-iteration password
/// hash): a token bucket per client address and one for all addresses, kept in Postgres (<c>signup_throttle</c>) so
/// the limits hold across instances, and per instance one signup hash at a time, started at least a second apart, so
/// logins keep CPU during a flood. A refusal is <c>429 too-many-signups</c> with <c>Retry-After</c>, answered after a short hold
/// (<see cref="SignupThrottleOptions.RefusalDelay"/>) so clients that ignore it cannot spin. A refusal's wait is also
/// remembered in memory: no token can appear before it, so later signups in that wait are refused without a database
/// round trip, and a flood costs the database almost nothing.
/// </summary>
public sealed class SignupThrottle(Database database, IOptions<SignupThrottleOptions> options, TimeProvider time, ILogger<SignupThrottle> logger)
{
    private const string GlobalKey = "all";
    private const int MaxRemembered = 10_000;
    private readonly TimeSpan _fullRefill = FullRefill(options.Value);

    /// <summary>After this long untouched every bucket is full again, and its row is the same as no row (retention uses it too).</summary>
    public static TimeSpan FullRefill(SignupThrottleOptions options) =>
        TimeSpan.FromSeconds(Math.Max(3600.0, options.Burst * 60.0 / options.PerMinute));
    private readonly SemaphoreSlim _hashing = new(options.Value.ConcurrentHashes, options.Value.ConcurrentHashes);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _refusedUntil = new(StringComparer.Ordinal);
    private long _nextHashAtTicks = DateTimeOffset.MinValue.UtcTicks;

    /// <summary>
    /// Admits one signup or refuses it. An admission holds a hashing slot until disposed: dispose it when the signup
    /// is done.
    /// </summary>
    public async Task<SignupAdmission> AdmitAsync(string? clientAddress, CancellationToken ct)
    {
        var settings = options.Value;
        var buckets = Buckets(clientAddress, settings).ToList();
        var now = time.GetUtcNow();
        foreach (var bucket in buckets)
            if (_refusedUntil.TryGetValue(bucket.Key, out var until) && until > now) return await RefuseAsync(until - now, ct);

        if (!await _hashing.WaitAsync(settings.SlotWait, ct))
            return await RefuseAsync(TimeSpan.FromSeconds(1), ct);
        TimeSpan? refusedFor;
        try
        {
            // The slot is held while waiting for the spacing: the waiting costs nothing, the next hash waits its turn.
            var nextHashAt = new DateTimeOffset(Interlocked.Read(ref _nextHashAtTicks), TimeSpan.Zero);
            if (nextHashAt > time.GetUtcNow()) await Task.Delay(nextHashAt - time.GetUtcNow(), time, ct);
            refusedFor = await TakeTokensAsync(buckets, ct);
        }
        catch
        {
            _hashing.Release();
            throw;
        }
        if (refusedFor is null)
        {
            Interlocked.Exchange(ref _nextHashAtTicks, (time.GetUtcNow() + settings.HashSpacing).UtcTicks);
            return SignupAdmission.Admitted(_hashing);
        }
        _hashing.Release();
        return await RefuseAsync(refusedFor.Value, ct);
    }

    private async Task<SignupAdmission> RefuseAsync(TimeSpan wait, CancellationToken ct)
    {
        await Task.Delay(options.Value.RefusalDelay, time, ct);
        return SignupAdmission.Refused(Refusal(wait - options.Value.RefusalDelay));
    }

    private sealed record Bucket(string Key, double Capacity, double PerSecond);

    private static IEnumerable<Bucket> Buckets(string? clientAddress, SignupThrottleOptions settings)
    {
        if (clientAddress is not null) yield return new Bucket("ip:" + clientAddress, settings.PerAddressPerHour, settings.PerAddressPerHour / 3600.0);
        yield return new Bucket(GlobalKey, settings.Burst, settings.PerMinute / 60.0);
    }

    /// <summary>
    /// Takes one token from each bucket in one transaction, or none: a signup refused overall does not use up its
    /// address's token. Returns null when admitted, else how long until the refusing bucket has a token.
    /// </summary>
    private async Task<TimeSpan?> TakeTokensAsync(List<Bucket> buckets, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var bucket in buckets)
        {
            await using var take = new NpgsqlCommand("""
                INSERT INTO signup_throttle AS b (key, tokens, updated_at) VALUES ($1, $2 - 1, $4)
                ON CONFLICT (key) DO UPDATE SET
                    tokens = least($2, b.tokens + greatest(0, extract(epoch FROM $4 - b.updated_at))::float8 * $3) - 1,
                    updated_at = greatest(b.updated_at, $4)
                WHERE least($2, b.tokens + greatest(0, extract(epoch FROM $4 - b.updated_at))::float8 * $3) >= 1
                RETURNING tokens
                """, connection, transaction);
            take.Parameters.AddWithValue(bucket.Key);
            take.Parameters.AddWithValue(bucket.Capacity);
            take.Parameters.AddWithValue(bucket.PerSecond);
            take.Parameters.AddWithValue(now);
            if (await take.ExecuteScalarAsync(ct) is not null) continue;

            await using var read = new NpgsqlCommand(
                "SELECT least($2, tokens + greatest(0, extract(epoch FROM $3 - updated_at))::float8 * $4) FROM signup_throttle WHERE key = $1", connection, transaction);
            read.Parameters.AddWithValue(bucket.Key);
            read.Parameters.AddWithValue(bucket.Capacity);
            read.Parameters.AddWithValue(now);
            read.Parameters.AddWithValue(bucket.PerSecond);
            var tokens = await read.ExecuteScalarAsync(ct) is double t ? t : 0;
            await transaction.RollbackAsync(ct);
            var wait = TimeSpan.FromSeconds(Math.Max(0.001, (1 - tokens) / bucket.PerSecond));
            Remember(bucket.Key, now + wait);
            logger.LogWarning("A signup was refused: the {Scope} signup limit is reached for {WaitSeconds} s",
                bucket.Key == GlobalKey ? "overall" : "per-address", (long)Math.Ceiling(wait.TotalSeconds));
            return wait;
        }
        // Now and then, forget buckets that have refilled (the same as having no row), so the table stays small.
        if (Random.Shared.Next(64) == 0)
        {
            await using var forget = new NpgsqlCommand("DELETE FROM signup_throttle WHERE updated_at < $1", connection, transaction);
            forget.Parameters.AddWithValue(now - _fullRefill);
            await forget.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return null;
    }

    private void Remember(string key, DateTimeOffset until)
    {
        if (_refusedUntil.Count >= MaxRemembered) _refusedUntil.Clear();
        _refusedUntil[key] = until;
    }

    private static JsonBodyResult Refusal(TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        var result = ApiResults.Problem(StatusCodes.Status429TooManyRequests, "too-many-signups", "Too many signups.",
            $"Try again in {seconds} seconds.");
        result.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        return result;
    }
}

/// <summary>A signup let through (holding a hashing slot until disposed) or refused with its 429 answer.</summary>
public sealed class SignupAdmission : IDisposable
{
    private SemaphoreSlim? _slot;

    private SignupAdmission(SemaphoreSlim? slot, JsonBodyResult? refusal) => (_slot, Refusal) = (slot, refusal);

    /// <summary>The answer to give instead of signing up; null when admitted.</summary>
    public JsonBodyResult? Refusal { get; }

    internal static SignupAdmission Admitted(SemaphoreSlim slot) => new(slot, null);
    internal static SignupAdmission Refused(JsonBodyResult refusal) => new(null, refusal);

    public void Dispose() => Interlocked.Exchange(ref _slot, null)?.Release();
}
