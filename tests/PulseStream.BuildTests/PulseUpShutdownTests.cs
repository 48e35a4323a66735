using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace PulseStream.BuildTests;

/// <summary>
/// <c>./pulse up</c> piped into <c>tee</c>, stopped with Ctrl-C: the clean-up must stop everything it started even
/// though Ctrl-C killed the reader of its output. The scripts run from a copy of the checkout (its own
/// <c>.pulse/</c>, its own Postgres cluster, ports of its own), so a developer's running <c>./pulse up</c> is never
/// touched.
/// </summary>
public sealed class PulseUpShutdownTests
{
    [Fact]
    public async Task Ctrl_C_on_pulse_up_piped_into_tee_stops_Postgres_and_Azurite()
    {
        var root = Directory.CreateTempSubdirectory("pulse-up-shutdown-");
        var state = Path.Combine(root.FullName, ".pulse");
        var log = Path.Combine(root.FullName, "up.log");
        var environment = new Dictionary<string, string>
        {
            ["PULSE_UP_NO_HOST"] = "1",
            ["PULSE_PORT"] = FreePort(),
            ["PULSE_PG_PORT"] = FreePort(),
            ["PULSE_AZURITE_BLOB_PORT"] = FreePort(),
            ["PULSE_AZURITE_QUEUE_PORT"] = FreePort(),
            ["PULSE_AZURITE_TABLE_PORT"] = FreePort(),
        };
        Process? pipeline = null;
        try
        {
            CopyScripts(root.FullName);
            // setsid: the pipeline gets a process group of its own (its id = the pid), which stands for the terminal's
            // foreground group: Ctrl-C sends SIGINT to every process in it, ./pulse and tee alike. env restores the
            // defaults a terminal gives: ./pulse test starts the test runner in the background, which leaves SIGINT
            // ignored in it and in all it starts (and a shell cannot trap a signal ignored when it started), and .NET
            // ignores SIGPIPE, which its children inherit.
            var start = new ProcessStartInfo("setsid", ["env", "--default-signal=INT,PIPE", "bash", "-c", $"bash ./pulse up 2>&1 | tee {Quote(log)} >/dev/null"])
            {
                WorkingDirectory = root.FullName,
                UseShellExecute = false,
                RedirectStandardInput = true,
            };
            start.Environment.Remove("PostgresConnection");
            start.Environment.Remove("TablesConnection");
            foreach (var (name, value) in environment) start.Environment[name] = value;
            pipeline = Process.Start(start) ?? throw new InvalidOperationException("could not start ./pulse up");

            var ready = await EventuallyAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("Ctrl-C to stop", StringComparison.Ordinal)
                || pipeline.HasExited, TimeSpan.FromMinutes(2));
            Assert.True(ready && !pipeline.HasExited, $"./pulse up did not get ready:\n{ReadOrEmpty(log)}");
            // Azurite, the Postgres server and the host's stand-in (PULSE_UP_NO_HOST: `sleep infinity`).
            var started = RecordedPids(state);
            Assert.Equal(3, started.Count);
            Assert.All(started, pid => Assert.True(IsAlive(pid), $"pid {pid} is not running before Ctrl-C"));

            await SignalGroupAsync(pipeline.Id, "INT");

            var stopped = await EventuallyAsync(() => started.All(pid => !IsAlive(pid)), TimeSpan.FromSeconds(30));
            Assert.True(stopped, $"still running after Ctrl-C: {string.Join(", ", started.Where(IsAlive).Select(Describe))}\n{ReadOrEmpty(log)}");
        }
        finally
        {
            if (pipeline is { HasExited: false }) await SignalGroupAsync(pipeline.Id, "KILL");
            // Whatever a failed run left behind, by the pids it recorded.
            foreach (var pid in RecordedPids(state).Where(pid => IsAlive(pid) && Describe(pid) is var command
                         && (command.Contains("postgres", StringComparison.Ordinal) || command.Contains("azurite", StringComparison.Ordinal) || command.Contains("sleep", StringComparison.Ordinal))))
            {
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
            }
            pipeline?.Dispose();
            // As root the cluster lives under /var/lib/pulsestream/<hash of this copy>, .pulse/pg a link to it.
            var cluster = new DirectoryInfo(Path.Combine(state, "pg")).LinkTarget;
            if (cluster is not null && cluster.StartsWith("/var/lib/pulsestream/", StringComparison.Ordinal))
            {
                try { Directory.Delete(Path.GetDirectoryName(cluster)!, recursive: true); } catch (IOException) { }
            }
            try { Directory.Delete($"/tmp/pulsestream-pg-{environment["PULSE_PG_PORT"]}", recursive: true); } catch (IOException) { }
            try { root.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>What <c>./pulse up</c> reads: the entry point and its scripts; the installed Azurite from this checkout.</summary>
    private static void CopyScripts(string root)
    {
        var repo = BuildMetadata.RepoRoot;
        File.Copy(Path.Combine(repo, "pulse"), Path.Combine(root, "pulse"));
        Directory.CreateDirectory(Path.Combine(root, "scripts"));
        foreach (var script in Directory.GetFiles(Path.Combine(repo, "scripts"), "*.sh"))
            File.Copy(script, Path.Combine(root, "scripts", Path.GetFileName(script)));
        // No solution and no projects in the copy: the bootstrap builds nothing, and finds Azurite installed.
        Directory.CreateSymbolicLink(Path.Combine(root, "tools"), Path.Combine(repo, "tools"));
    }

    /// <summary>The pids <c>./pulse up</c> (and Postgres) recorded in the state directory, of those files that exist.</summary>
    private static List<int> RecordedPids(string state) =>
        new[] { Path.Combine(state, "azurite.pid"), Path.Combine(state, "pg", "postmaster.pid"), Path.Combine(state, "host.pid") }
            .Where(File.Exists)
            .Select(path => File.ReadLines(path).FirstOrDefault()?.Trim())
            .Where(line => int.TryParse(line, out _))
            .Select(line => int.Parse(line!, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    /// <summary>Alive and not a zombie (an exited child not reaped yet still has a /proc entry).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Describe(int pid)
    {
        try { return $"{pid} ({File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})"; }
        catch (IOException) { return pid.ToString(System.Globalization.CultureInfo.InvariantCulture); }
    }

    private static async Task SignalGroupAsync(int processGroup, string signal)
    {
        var result = await ExternalProcess.RunAsync("kill", [$"-{signal}", "--", $"-{processGroup}"], "/", TimeSpan.FromSeconds(10));
        Assert.True(result.ExitCode == 0 || signal == "KILL", result.Describe());
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(200);
        }
        return condition();
    }

    private static readonly HashSet<int> PickedPorts = [];

    /// <summary>
    /// A port nobody listens on, never the same one twice, from 20000-32767 as <c>pick_free_port</c> does: below the
    /// ephemeral range, so no outgoing connection takes it before the server binds it.
    /// </summary>
    private static string FreePort()
    {
        while (true)
        {
            var port = Random.Shared.Next(20000, 32768);
            lock (PickedPorts) if (!PickedPorts.Add(port)) continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (SocketException)
            {
            }
        }
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
