# shellcheck shell=bash
# Shared helpers for ./pulse: paths, messages, ports, child processes and
# the clean-up registry. Sourced by ./pulse; not meant to be run directly.

# --- paths -----------------------------------------------------------------

# PULSE_ROOT is set by ./pulse (the repository root, symlinks resolved).
: "${PULSE_ROOT:?PULSE_ROOT must be set by ./pulse}"
PULSE_STATE="$PULSE_ROOT/.pulse"     # git-ignored state (CONTRACT.md)
PULSE_LOGS="$PULSE_STATE/logs"
PULSE_STAMPS="$PULSE_STATE/stamps"

# Tools the .NET CLI reads from the environment: no banner, no telemetry.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ensure_state_dirs() {
    mkdir -p "$PULSE_STATE" "$PULSE_LOGS" "$PULSE_STAMPS"
}

is_root() { [[ $EUID -eq 0 ]]; }

# --- messages --------------------------------------------------------------
# Progress goes to stderr so that stdout stays for what callers may parse;
# the final `tests:` line of ./pulse test is printed on stdout.

if [[ -t 2 ]]; then
    _c_bold=$'\e[1m' _c_red=$'\e[31m' _c_yellow=$'\e[33m' _c_dim=$'\e[2m' _c_off=$'\e[0m'
else
    _c_bold='' _c_red='' _c_yellow='' _c_dim='' _c_off=''
fi

say()  { printf '%s==>%s %s\n' "$_c_bold" "$_c_off" "$*" >&2; }
note() { printf '%s    %s%s\n' "$_c_dim" "$*" "$_c_off" >&2; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_red" "$_c_off" "$*" >&2; exit 1; }

# show_log_tail FILE [LINES]: the end of a log, for failure messages.
show_log_tail() {
    local file=$1 lines=${2:-30}
    [[ -r $file ]] || return 0
    printf '%s--- last %s lines of %s ---%s\n' "$_c_dim" "$lines" "$file" "$_c_off" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '%s---%s\n' "$_c_dim" "$_c_off" >&2
}

# run_quiet LOG CMD...: run a noisy command with its output in LOG; show the
# end of LOG only when it fails. Returns the command's status.
run_quiet() {
    local log=$1; shift
    local rc=0
    "$@" >"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        printf '%scommand failed (exit %s):%s %s\n' "$_c_red" "$rc" "$_c_off" "$*" >&2
        show_log_tail "$log" 40
    fi
    return "$rc"
}

# --- stamps ----------------------------------------------------------------
# A step is redone when its inputs changed since it last succeeded. The
# inputs are summed up as a fingerprint: the list of files with their sizes
# and modification times (build outputs and node_modules left out), so that
# added, changed, deleted and renamed files all count, and directories that
# a build itself creates (bin/, obj/) do not.

# inputs_fingerprint PATH...: a hash of the files under the existing PATHs.
inputs_fingerprint() {
    local -a paths=()
    local p
    for p in "$@"; do [[ -e $p ]] && paths+=("$p"); done
    if ((${#paths[@]} == 0)); then
        echo none
        return 0
    fi
    find "${paths[@]}" \
        \( -name bin -o -name obj -o -name node_modules -o -name wwwroot -o -name .pulse \
           -o -name TestResults -o -name .git \) -prune -o \
        -type f -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

# stamp_outdated NAME PATH...: true when step NAME never succeeded or its
# inputs differ from when it last did. Leaves the current fingerprint in
# STAMP_FINGERPRINT, taken before the step runs, so that files edited while
# it runs still count as changed next time; stamp_commit NAME records it.
STAMP_FINGERPRINT=""
stamp_outdated() {
    local name=$1; shift
    STAMP_FINGERPRINT=$(inputs_fingerprint "$@")
    [[ ! -f $PULSE_STAMPS/$name || $(<"$PULSE_STAMPS/$name") != "$STAMP_FINGERPRINT" ]]
}

stamp_commit() { printf '%s\n' "$2" >"$PULSE_STAMPS/$1"; }

# --- ports -----------------------------------------------------------------

# port_in_use PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_for_port PORT SECONDS PID: wait until PORT accepts connections; fail
# early when PID (the process that should open it) has exited.
wait_for_port() {
    local port=$1 seconds=$2 pid=$3
    local deadline=$((SECONDS + seconds))
    until port_in_use "$port"; do
        proc_alive "$pid" || return 1
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# PULSE_PICKED_PORTS: ports already handed out in this run, so that several
# pick_free_port calls never return the same one.
PULSE_PICKED_PORTS=" "

# pick_free_port VAR: store in VAR a port nobody listens on. Ports come from
# 20000-32767, below Linux's ephemeral range (32768-60999), so an outgoing
# connection cannot take it between the check and the server's bind.
pick_free_port() {
    local -n _out=$1
    local port tries
    for ((tries = 0; tries < 200; tries++)); do
        port=$((20000 + RANDOM % 12768))
        [[ $PULSE_PICKED_PORTS == *" $port "* ]] && continue
        port_in_use "$port" && continue
        PULSE_PICKED_PORTS+="$port "
        _out=$port
        return 0
    done
    die "could not find a free TCP port in 20000-32767"
}

# --- processes -------------------------------------------------------------

# proc_alive PID: PID exists and is not a zombie (a dead child that was not
# yet reaped still answers kill -0).
proc_alive() {
    local pid=$1 stat
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    stat=$(<"/proc/$pid/stat") 2>/dev/null || return 1
    stat=${stat##*) }          # drop "pid (comm) ", comm may hold spaces
    [[ ${stat:0:1} != Z ]]
}

# start_group LOG CMD...: start CMD in the background as the leader of a new
# session/process group (setsid), output to LOG ("-" = inherit), stdin from
# /dev/null. The pid (= process group id) is left in STARTED_PID. Because the
# shell does not fork for setsid here ("&" children are not group leaders),
# the pid is CMD's own and it is a child of this shell, so `wait` works.
STARTED_PID=""
start_group() {
    local log=$1; shift
    if [[ $log == - ]]; then
        setsid "$@" </dev/null &
    else
        setsid "$@" </dev/null >>"$log" 2>&1 &
    fi
    STARTED_PID=$!
}

# stop_group PID [GRACE_SECONDS] [READY_CHECK]: SIGTERM the process group PID,
# wait up to GRACE seconds for its leader to exit (or for READY_CHECK, a
# command, to succeed: for servers that finish their shutdown but never exit),
# then SIGKILL whatever is left of the group and reap the leader.
stop_group() {
    local pid=$1 grace=${2:-10} ready=${3:-}
    [[ -n $pid ]] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while proc_alive "$pid" && ((SECONDS < deadline)); do
        if [[ -n $ready ]] && eval "$ready"; then break; fi
        sleep 0.2
    done
    # The leader may be gone while children of the group live on: kill them
    # too. The group id stays reserved until the leader is reaped below.
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# stop_leftover PIDFILE WORD...: stop the process recorded in PIDFILE by an
# earlier run that was killed before its clean-up, if it still runs and its
# command line contains one of the WORDs (the pid may have been reused).
stop_leftover() {
    local pidfile=$1 pid cmdline="" word
    shift
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if [[ $pid =~ ^[0-9]+$ ]] && proc_alive "$pid"; then
        cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    fi
    for word in "$@"; do
        if [[ -n $cmdline && $cmdline == *"$word"* ]]; then
            note "stopping $word left running by an earlier run (pid $pid)"
            stop_group "$pid" 5
            break
        fi
    done
    rm -f "$pidfile"
}

# remove_stale_run_dirs PREFIX: delete PREFIX<pid> directories of runs that
# are gone (killed before their clean-up); those of live runs stay.
remove_stale_run_dirs() {
    local prefix=$1 dir pid
    for dir in "$prefix"*; do
        [[ -d $dir ]] || continue
        pid=${dir#"$prefix"}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        proc_alive "$pid" || rm -rf "$dir"
    done
}

# --- clean-up registry -----------------------------------------------------
# Each start_* function registers how to undo itself; on exit (normal, error,
# Ctrl-C or SIGTERM) the registered commands run once, newest first.

PULSE_CLEANUPS=()
PULSE_CLEANING=0

on_exit() { PULSE_CLEANUPS+=("$*"); }

# Every step runs whatever the one before it did: a failed step (or one that
# could not print its message) never keeps a later one from stopping its
# process.
run_cleanups() {
    ((PULSE_CLEANING == 0)) || return 0
    PULSE_CLEANING=1
    local i
    for ((i = ${#PULSE_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${PULSE_CLEANUPS[i]}" || true
    done
    PULSE_CLEANUPS=()
    PULSE_CLEANING=0
}

# Hook for commands that must print something after the clean-up, even when
# the run is cut short (./pulse test prints its summary line this way).
PULSE_FINAL_HOOK=""
set_final_hook() { PULSE_FINAL_HOOK=$1; }

_pulse_exit_trap() {
    local rc=$?
    set +e
    # A second Ctrl-C must not cut the clean-up short (every step in it has
    # its own timeout).
    trap - EXIT
    trap '' INT TERM HUP
    # Ctrl-C on `./pulse up 2>&1 | tee up.log` kills tee too: the clean-up's
    # first message would then hit a pipe without a reader, and SIGPIPE would
    # end this shell before it stopped anything (Postgres and Azurite were
    # left running). Ignored, a write to it just fails (EPIPE).
    trap '' PIPE
    run_cleanups
    if [[ -n $PULSE_FINAL_HOOK ]]; then
        "$PULSE_FINAL_HOOK" "$rc"
    fi
    exit "$rc"
}

# A signal becomes a normal exit with the conventional status, and the EXIT
# trap does the clean-up. `wait` returns at once when a trapped signal comes.
install_traps() {
    trap _pulse_exit_trap EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# run_child CMD...: run CMD in its own process group and wait for it, so that
# a SIGTERM sent to ./pulse alone is handled at once (a foreground child
# would delay the trap until it exits) and the child's whole tree is stopped
# by the clean-up. Returns CMD's exit status.
PULSE_CHILD=""
run_child() {
    local rc=0
    start_group - "$@"
    PULSE_CHILD=$STARTED_PID
    wait "$PULSE_CHILD" || rc=$?
    PULSE_CHILD=""
    return "$rc"
}
# shellcheck disable=SC2016 # expanded when the clean-up runs
on_exit 'stop_group "$PULSE_CHILD" 10'
