# shellcheck shell=bash
# ./pulse screenshots [--out DIR]: the dashboard's main views photographed in Debian's chromium from a real local
# host (Release build) running the demo on a throwaway Postgres and Azurite, into docs/screenshots/ (about 3 minutes:
# most of it the demo's 24 hours of history being ingested).

pulse_screenshots() {
    bootstrap --chromium
    test_start_services
    say "Taking the dashboard screenshots (tools/PulseStream.Screenshots)"
    (cd "$PULSE_ROOT/tools/PulseStream.Screenshots" && dotnet run -c Release --no-build -- "$@")
    run_cleanups
}
