using System.Globalization;

namespace PulseStream.Bench;

/// <summary>
/// CPU seconds from <c>/proc</c> (Linux): of one process with its threads, of a PostgreSQL cluster (its postmaster,
/// the children it has reaped and the children alive now, so backends that ended meanwhile still count), and of the
/// whole machine (every process, including other users', which says under which load a figure was taken).
/// </summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the project runs on

    /// <summary>utime + stime (+ cutime + cstime when <paramref name="withReaped"/>) of <paramref name="pid"/>, or 0 when it is gone.</summary>
    public static double Seconds(int pid, bool withReaped = false)
    {
        if (Stat(pid) is not { } f) return 0;
        var ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        if (withReaped) ticks += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }

    /// <summary>The parent of <paramref name="pid"/> (for a PostgreSQL backend: the postmaster).</summary>
    public static int Parent(int pid) => Stat(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : 0;

    /// <summary>The CPU seconds of a cluster: its postmaster's own and reaped children's, plus its live children's.</summary>
    public static double ClusterSeconds(int postmaster)
    {
        var total = Seconds(postmaster, withReaped: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Parent(pid) == postmaster) total += Seconds(pid);
        }
        return total;
    }

    /// <summary>Busy and total CPU seconds of the machine since boot (all cores), from <c>/proc/stat</c>.</summary>
    public static (double Busy, double Total) Machine()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        var idle = fields[3] + fields[4]; // idle + iowait
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>The fields of <c>/proc/pid/stat</c> after the command name: index 0 is the state, 1 the parent, 11-14 the CPU times.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
