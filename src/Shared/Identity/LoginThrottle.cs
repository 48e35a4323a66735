using Npgsql;
using PulseStream.Storage;

namespace PulseStream.Identity;

/// <summary>
/// Slows down and then locks password guessing, per e-mail (5 failures) and per client address (20 failures) within
/// 15 minutes: each failure past the threshold doubles the lock, from 30 seconds up to 15 minutes. The same answer is
/// given whether or not the e-mail exists.
/// </summary>
public sealed class LoginThrottle(Database database, TimeProvider time)
{
    public const int EmailThreshold = 5;
    public const int AddressThreshold = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxLock = TimeSpan.FromMinutes(15);

    private static IEnumerable<(string Key, int Threshold)> Keys(string email, string? address)
    {
        yield return ("email:" + email.Trim().ToLowerInvariant(), EmailThreshold);
        if (address is not null) yield return ("ip:" + address, AddressThreshold);
    }

    /// <summary>How long the caller must wait, or null when they may try.</summary>
    public async Task<TimeSpan?> LockedForAsync(string email, string? address, CancellationToken ct)
    {
        var keys = Keys(email, address).Select(k => k.Key).ToArray();
        await using var command = database.DataSource.CreateCommand("SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1)");
        command.Parameters.AddWithValue(keys);
        var until = await command.ExecuteScalarAsync(ct) as DateTime?;
        var now = time.GetUtcNow();
        return until is { } u && new DateTimeOffset(u, TimeSpan.Zero) > now ? new DateTimeOffset(u, TimeSpan.Zero) - now : null;
    }

    public async Task RecordFailureAsync(string email, string? address, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var (key, threshold) in Keys(email, address))
        {
            await using var command = database.DataSource.CreateCommand("""
                INSERT INTO login_throttle AS t (key, failures, window_start) VALUES ($1, 1, $2)
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN t.window_start < $2 - $3::interval THEN 1 ELSE t.failures + 1 END,
                    window_start = CASE WHEN t.window_start < $2 - $3::interval THEN $2 ELSE t.window_start END
                RETURNING failures
                """);
            command.Parameters.AddWithValue(key);
            command.Parameters.AddWithValue(now);
            command.Parameters.AddWithValue(Window);
            var failures = (int)(await command.ExecuteScalarAsync(ct))!;
            if (failures < threshold) continue;
            var lockFor = TimeSpan.FromSeconds(Math.Min(MaxLock.TotalSeconds, 30 * Math.Pow(2, failures - threshold)));
            await using var lockCommand = database.DataSource.CreateCommand("UPDATE login_throttle SET locked_until = $2 WHERE key = $1");
            lockCommand.Parameters.AddWithValue(key);
            lockCommand.Parameters.AddWithValue(now + lockFor);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }
    }

    public async Task RecordSuccessAsync(string email, CancellationToken ct)
    {
        await using var command = database.DataSource.CreateCommand("DELETE FROM login_throttle WHERE key = $1");
        command.Parameters.AddWithValue("email:" + email.Trim().ToLowerInvariant());
        await command.ExecuteNonQueryAsync(ct);
    }
}
