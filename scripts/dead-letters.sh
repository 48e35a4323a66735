# shellcheck shell=bash
# ./pulse dead-letters [list [--state dead|replayed|all] [--limit N] [--cursor C] | replay ID... | replay --all]:
# the Alerts consumer's dead letters, through the running local host's operator routes
# (http://127.0.0.1:${PULSE_PORT:-7071}/api/admin/dead-letters). The operator key comes from
# Operations__OperatorKey when set (as the host reads it), else from .pulse/secrets.json; node does the HTTP
# and the table (the scripts rely on node already; jq and python3 may be missing).

pulse_dead_letters() {
    command -v node >/dev/null 2>&1 || die "node is needed (./pulse up installs what is missing)"
    PULSE_DL_BASE_URL="http://127.0.0.1:${PULSE_PORT:-7071}" \
        PULSE_DL_SECRETS="$PULSE_STATE/secrets.json" \
        node "$PULSE_ROOT/scripts/dead-letters.mjs" "$@"
}
