# shellcheck shell=bash
# ./pulse up [--demo-traffic]: bootstrap, Postgres and Azurite (unless
# PostgresConnection / TablesConnection are set), then the local host in the
# foreground. Ctrl-C (or SIGTERM) stops all that this run started.
#
# PULSE_UP_NO_HOST=1 starts everything but the host and just waits (to check
# the services and the clean-up without a built local host).

LOCALHOST_DLL="$PULSE_ROOT/src/LocalHost/bin/Release/net10.0/PulseStream.LocalHost.dll"

pulse_up() {
    local demo_traffic=0 arg
    for arg in "$@"; do
        case $arg in
            --demo-traffic) demo_traffic=1 ;;
            *) die "unknown option '$arg' (usage: ./pulse up [--demo-traffic])" ;;
        esac
    done

    ensure_state_dirs
    up_claim_checkout
    bootstrap

    local port=${PULSE_PORT:-7071}
    stop_leftover "$PULSE_STATE/host.pid" PulseStream.LocalHost 'sleep infinity'
    if port_in_use "$port"; then
        die "port $port is in use; set PULSE_PORT to another port (or stop what listens there)"
    fi
    if [[ -z ${PULSE_UP_NO_HOST:-} && ! -f $LOCALHOST_DLL ]]; then
        die "the local host is not built ($LOCALHOST_DLL is missing; is src/LocalHost in PulseStream.sln?)"
    fi

    if [[ -n ${PostgresConnection:-} ]]; then
        note "using PostgresConnection from the environment"
    else
        pg_up_cluster
    fi
    if [[ -n ${TablesConnection:-} ]]; then
        note "using TablesConnection from the environment"
    else
        azurite_up_instance
    fi

    up_run_host "$port" "$demo_traffic"
}

# up_claim_checkout: one `./pulse up` per checkout at a time (they would
# share .pulse/pg and the ports). A pid file rather than flock: an inherited
# lock descriptor would outlive this script in the servers it starts.
up_claim_checkout() {
    local pidfile="$PULSE_STATE/up.pid" pid cmdline=""
    if [[ -f $pidfile ]]; then
        pid=$(<"$pidfile")
        if [[ $pid =~ ^[0-9]+$ && $pid != "$$" ]] && proc_alive "$pid"; then
            cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
        fi
        if [[ $cmdline == *pulse* ]]; then
            die "./pulse up is already running in this checkout (pid $pid)"
        fi
    fi
    echo "$$" >"$pidfile"
    on_exit "rm -f $(printf '%q' "$pidfile")"
}

# up_run_host PORT DEMO_TRAFFIC: the local host in its own process group,
# stopped by the clean-up; its exit status becomes ours.
up_run_host() {
    local port=$1 demo_traffic=$2 rc=0
    # No DOTNET_ENVIRONMENT: the host runs in Production mode, so no error
    # answer carries a developer page (docs/OPERATIONS.md, "Error answers").
    local -a env=(
        "ASPNETCORE_URLS=http://127.0.0.1:$port"
        "Pulse__StateDir=$PULSE_STATE"
    )
    ((demo_traffic)) && env+=("Pulse__DemoTraffic=true")

    if [[ -n ${PULSE_UP_NO_HOST:-} ]]; then
        say "PULSE_UP_NO_HOST is set: not starting the local host; Ctrl-C to stop"
        start_group - sleep infinity
    else
        say "Starting the local host on http://127.0.0.1:$port (Ctrl-C stops everything)"
        # From its output directory, so that it finds its appsettings*.json
        # (the content root is the working directory).
        start_group - env -C "$(dirname "$LOCALHOST_DLL")" "${env[@]}" dotnet "$LOCALHOST_DLL"
    fi
    local host_pid=$STARTED_PID
    echo "$host_pid" >"$PULSE_STATE/host.pid"
    on_exit "say 'Stopping the local host'; stop_group $host_pid 15; rm -f $(printf '%q' "$PULSE_STATE/host.pid")"

    wait "$host_pid" || rc=$?
    warn "the local host exited (status $rc)"
    return "$rc"
}
