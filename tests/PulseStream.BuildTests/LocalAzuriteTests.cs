using Xunit;

namespace PulseStream.BuildTests;

/// <summary>
/// Azurite exactly as <c>scripts/azurite.sh</c> starts it for <c>./pulse up</c>, <c>test</c> and <c>bench</c>.
/// </summary>
public sealed class LocalAzuriteTests
{
    /// <summary>
    /// Azurite's telemetry is on unless told otherwise. Without internet access (CI, this machine) every failed
    /// export is spooled to files under the temporary directory, and Azurite rescans the growing spool without end:
    /// measured at 7-17% of a core on the two-core machine during benchmarks, with the spool grown to thousands of
    /// files across runs. The spool's first entry appeared 3-10 s after the start (four starts measured), so thirty
    /// seconds that leave none show that no telemetry was collected.
    /// </summary>
    [Fact]
    public async Task Azurite_started_by_the_scripts_collects_no_telemetry()
    {
        var work = Directory.CreateTempSubdirectory("pulse-azurite-test-");
        try
        {
            var temp = work.CreateSubdirectory("tmp");
            const string script = """
                set -euo pipefail
                source scripts/common.sh
                source scripts/azurite.sh
                pick_free_port blob; pick_free_port queue; pick_free_port table
                azurite_start "$WORK/data" "$blob" "$queue" "$table" "$WORK/azurite.log"
                # Up to 30 s, ending as soon as anything appears under $TMPDIR.
                for _ in $(seq 30); do
                    sleep 1
                    [[ -z $(find "$TMPDIR" -mindepth 1 -print -quit) ]] || break
                done
                proc_alive "$AZURITE_PID" || { echo "Azurite exited early"; cat "$WORK/azurite.log"; exit 1; }
                azurite_stop "$AZURITE_PID" "$WORK/azurite.log"
                """;
            var environment = new Dictionary<string, string>
            {
                ["PULSE_ROOT"] = BuildMetadata.RepoRoot,
                ["WORK"] = work.FullName,
                ["TMPDIR"] = temp.FullName,
            };

            var result = await ExternalProcess.RunAsync("bash", ["-c", script], BuildMetadata.RepoRoot, TimeSpan.FromMinutes(2), environment);

            Assert.True(result.ExitCode == 0, result.Describe());
            var spooled = temp.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(entry => entry.FullName).ToList();
            Assert.True(spooled.Count == 0, $"Azurite wrote telemetry to its temporary directory:{Environment.NewLine}{string.Join(Environment.NewLine, spooled)}");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
