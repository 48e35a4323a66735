# shellcheck shell=bash
# Azurite, the Azure Storage emulator (npm package pinned in tools/), for
# ./pulse up (data in .pulse/azurite) and ./pulse test (throwaway data).

AZURITE_BIN="$PULSE_ROOT/tools/node_modules/.bin/azurite"

# The well-known development storage account every Azure SDK and Azurite
# accept (not a secret).
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# azurite_connection_string BLOB QUEUE TABLE
azurite_connection_string() {
    local a=$AZURITE_ACCOUNT
    printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;QueueEndpoint=http://127.0.0.1:%s/%s;TableEndpoint=http://127.0.0.1:%s/%s;\n' \
        "$a" "$AZURITE_KEY" "$1" "$a" "$2" "$a" "$3" "$a"
}

# azurite_start LOCATION BLOB QUEUE TABLE LOG: start Azurite in its own
# process group and wait until the table port answers. Sets AZURITE_PID.
AZURITE_PID=""
azurite_start() {
    local location=$1 blob=$2 queue=$3 table=$4 log=$5 port
    [[ -x $AZURITE_BIN ]] || die "Azurite is not installed ($AZURITE_BIN); the bootstrap should have run npm ci in tools/"
    for port in "$blob" "$queue" "$table"; do
        port_in_use "$port" &&
            die "port $port is in use; set PULSE_AZURITE_BLOB_PORT/PULSE_AZURITE_QUEUE_PORT/PULSE_AZURITE_TABLE_PORT (or stop what listens there)"
    done
    mkdir -p "$location"
    # --loose and --skipApiVersionCheck: accept headers and API versions of
    # SDKs newer than this Azurite. Bound to loopback only.
    # --disableTelemetry: Azurite reports usage to Microsoft by default. The
    # user never agreed to that, and without internet access every failed
    # export is spooled under $TMPDIR and rescanned without end: 7-17% of a
    # core on the two-core development machine (tests/.../LocalAzuriteTests).
    start_group "$log" "$AZURITE_BIN" --silent --disableTelemetry --location "$location" \
        --blobHost 127.0.0.1 --blobPort "$blob" \
        --queueHost 127.0.0.1 --queuePort "$queue" \
        --tableHost 127.0.0.1 --tablePort "$table" \
        --skipApiVersionCheck --loose
    AZURITE_PID=$STARTED_PID
    if ! wait_for_port "$table" 60 "$AZURITE_PID"; then
        azurite_stop "$AZURITE_PID" "$log"
        show_log_tail "$log" 30
        die "Azurite did not start (log: $log)"
    fi
}

# azurite_closed LOG COUNT: Azurite has logged "successfully closed" for its
# three services since the log had COUNT such lines.
azurite_closed() {
    local n
    n=$(grep -c 'successfully closed' "$1" 2>/dev/null || true)
    ((${n:-0} >= $2 + 3))
}

# azurite_stop PID LOG: SIGTERM, then SIGKILL once Azurite has closed its
# three services: on shutdown it closes them (its data is saved then) but its
# node process does not always exit by itself.
azurite_stop() {
    local pid=$1 log=$2 before
    [[ -n $pid ]] || return 0
    before=$(grep -c 'successfully closed' "$log" 2>/dev/null || true)
    stop_group "$pid" 10 "azurite_closed $(printf '%q' "$log") ${before:-0}"
}

# --- the two instances ./pulse uses ----------------------------------------

# azurite_up_instance: Azurite for ./pulse up (data in .pulse/azurite, ports
# 10000-10002 unless PULSE_AZURITE_*_PORT), export TablesConnection.
azurite_up_instance() {
    local blob=${PULSE_AZURITE_BLOB_PORT:-10000}
    local queue=${PULSE_AZURITE_QUEUE_PORT:-10001}
    local table=${PULSE_AZURITE_TABLE_PORT:-10002}
    local log="$PULSE_LOGS/azurite.log" pidfile="$PULSE_STATE/azurite.pid"

    stop_leftover "$pidfile" azurite
    say "Starting Azurite on 127.0.0.1:$blob-$table (data: .pulse/azurite, log: .pulse/logs/azurite.log)"
    azurite_start "$PULSE_STATE/azurite" "$blob" "$queue" "$table" "$log"
    echo "$AZURITE_PID" >"$pidfile"
    on_exit "say 'Stopping Azurite'; azurite_stop $AZURITE_PID $(printf '%q' "$log"); rm -f $(printf '%q' "$pidfile")"

    TablesConnection=$(azurite_connection_string "$blob" "$queue" "$table")
    export TablesConnection
}

# azurite_test_instance BLOB QUEUE TABLE: throwaway Azurite for one test run;
# export PULSE_TEST_TABLES.
azurite_test_instance() {
    local blob=$1 queue=$2 table=$3
    local location="$PULSE_STATE/tmp/azurite-test-$$" log="$PULSE_LOGS/test-azurite.log"
    remove_stale_run_dirs "$PULSE_STATE/tmp/azurite-test-"
    : >"$log"
    on_exit "rm -rf $(printf '%q' "$location")"
    azurite_start "$location" "$blob" "$queue" "$table" "$log"
    on_exit "azurite_stop $AZURITE_PID $(printf '%q' "$log")"

    PULSE_TEST_TABLES=$(azurite_connection_string "$blob" "$queue" "$table")
    export PULSE_TEST_TABLES
}
