# shellcheck shell=bash
# ./pulse bench [--seconds N] [--warmup N] [--only batched|single|edge|noisy|store|query|stored|rules|alerts|live|dashboard|anomaly] [--events N] [--micro]: the load benchmarks of bench/PulseStream.Bench against a real local host
# (Release build) on a throwaway Postgres and Azurite, then a results table. --micro runs the BenchmarkDotNet
# micro-benchmarks (validation and encoding cost per event, allocations) instead.

pulse_bench() {
    bootstrap
    # The stored-end-to-end run measures InfluxDB beside PulseStream: Debian's influxd, a peer, never a dependency.
    if [[ " $* " == *" --only stored "* ]] && ! command -v influxd >/dev/null; then
        say "Installing Debian's influxdb (the peer the stored-end-to-end benchmark measures against)"
        apt_install influxdb
    fi
    # The anomaly benchmark judges generated traffic in memory: it needs no services.
    if [[ " $* " != *" --micro "* && " $* " != *" --only anomaly "* ]]; then
        test_start_services
    fi
    # Whatever was written just before (the build, a cluster's initdb, another Postgres's shutdown checkpoint) would
    # otherwise reach the disk during the first load and be measured as the commits' flush time.
    sync
    say "Running the benchmarks (bench/PulseStream.Bench)"
    (cd "$PULSE_ROOT/bench/PulseStream.Bench" && dotnet run -c Release --no-build -- "$@")
    run_cleanups
}
