# shellcheck shell=bash
# ./pulse test [filter]: bootstrap, throwaway Postgres and Azurite on free
# ports, `dotnet test` for every tests/*/*Tests.csproj, one summary line.
#
# What the tests get from the environment:
#   PULSE_TEST_POSTGRES  superuser connection string without Database= (the
#                        tests create their own databases)
#   PULSE_TEST_TABLES    Azurite connection string (blob, queue, table)
#   PULSE_REPO_ROOT      the repository root
#   PULSE_CHROMIUM       the browser for the dashboard tests
# PULSE_TEST_POSTGRES / PULSE_TEST_TABLES already set by the caller are used
# as they are, and the matching service is not started.

TEST_RESULTS_DIR="$PULSE_STATE/test-results"
TEST_PASSED=0 TEST_FAILED=0 TEST_SKIPPED=0

# The contract's closing line; `, N skipped` only when some were skipped.
test_summary_line() {
    local line="tests: $TEST_PASSED passed, $TEST_FAILED failed"
    ((TEST_SKIPPED == 0)) || line+=", $TEST_SKIPPED skipped"
    printf '%s\n' "$line"
}

# Run by the EXIT trap, after the clean-up, when the run ends before its
# summary (a failed bootstrap, Ctrl-C): the unfinished run counts as one
# failure, and the summary is still the last line.
_test_final_hook() {
    warn "the test run did not complete (exit $1)"
    TEST_FAILED=$((TEST_FAILED + 1))
    test_summary_line
}

pulse_test() {
    (($# <= 1)) || die "usage: ./pulse test [dotnet-test-filter]"
    local filter=${1:-}
    set_final_hook _test_final_hook

    bootstrap --chromium
    test_start_services

    local -a projects=()
    mapfile -t projects < <(test_projects)
    if ((${#projects[@]} == 0)); then
        note "no test projects (tests/*/*Tests.csproj) yet"
    fi
    mkdir -p "$TEST_RESULTS_DIR"
    # The browser tests run beside the others: they spend Chromium's CPU, the
    # integration tests mostly wait on the hosts' timers, so together they take
    # about as long as the longer of the two instead of their sum.
    local proj beside=""
    for proj in "${projects[@]}"; do
        if [[ -z $beside && $(basename "$proj" .csproj) == *BrowserTests ]]; then
            beside=$proj
            test_start_beside "$proj" "$filter"
        fi
    done
    for proj in "${projects[@]}"; do
        [[ $proj == "$beside" ]] || test_run_project "$proj" "$filter"
    done
    [[ -z $beside ]] || test_finish_beside "$beside" "$filter"

    # Stop the services before the summary, which must be the last line.
    run_cleanups
    set_final_hook ""
    test_summary_line
    ((TEST_FAILED == 0))
}

# test_projects: tests/*/*.csproj whose name ends in Tests, sorted.
test_projects() {
    local proj name
    for proj in "$PULSE_ROOT"/tests/*/*.csproj; do
        [[ -f $proj ]] || continue
        name=$(basename "$proj" .csproj)
        [[ $name == *Tests ]] && printf '%s\n' "$proj"
    done
    return 0
}

test_start_services() {
    mkdir -p "$PULSE_STATE/tmp"
    if [[ -n ${PULSE_TEST_POSTGRES:-} ]]; then
        note "using PULSE_TEST_POSTGRES from the environment"
    else
        local pg_port
        pick_free_port pg_port
        say "Starting a throwaway PostgreSQL on 127.0.0.1:$pg_port (log: .pulse/logs/test-postgres.log)"
        pg_test_cluster "$pg_port"
    fi
    if [[ -n ${PULSE_TEST_TABLES:-} ]]; then
        note "using PULSE_TEST_TABLES from the environment"
    else
        local blob queue table
        pick_free_port blob
        pick_free_port queue
        pick_free_port table
        say "Starting a throwaway Azurite on 127.0.0.1:$blob,$queue,$table (log: .pulse/logs/test-azurite.log)"
        azurite_test_instance "$blob" "$queue" "$table"
    fi
    export PULSE_REPO_ROOT="$PULSE_ROOT"
    export PULSE_CHROMIUM="${PULSE_CHROMIUM:-/usr/bin/chromium}"
}

# test_args CSPROJ FILTER: the `dotnet test` arguments of a project, in
# TEST_ARGS, with a .trx report named after it.
test_args() {
    local proj=$1 filter=$2 name
    name=$(basename "$proj" .csproj)
    rm -f "$TEST_RESULTS_DIR/$name.trx"
    TEST_ARGS=(test "$proj" -c Release --no-build --nologo
        --logger "trx;LogFileName=$name.trx" --results-directory "$TEST_RESULTS_DIR")
    [[ -z $filter ]] || TEST_ARGS+=(--filter "$filter")
}

# test_run_project CSPROJ FILTER: dotnet test in the foreground, its counters
# added to the totals.
test_run_project() {
    local proj=$1 filter=$2 rc=0
    say "Testing $(basename "$proj" .csproj)"
    test_args "$proj" "$filter"
    run_child dotnet "${TEST_ARGS[@]}" || rc=$?
    test_count "$proj" "$filter" "$rc"
}

# test_start_beside CSPROJ FILTER: dotnet test in the background, its output
# in a log shown when it is done (test_finish_beside).
PULSE_BESIDE=""
test_start_beside() {
    local proj=$1 filter=$2 name
    name=$(basename "$proj" .csproj)
    say "Testing $name beside the other projects (log: .pulse/logs/test-$name.log)"
    test_args "$proj" "$filter"
    : >"$PULSE_LOGS/test-$name.log"
    start_group "$PULSE_LOGS/test-$name.log" dotnet "${TEST_ARGS[@]}"
    PULSE_BESIDE=$STARTED_PID
}
# shellcheck disable=SC2016 # expanded when the clean-up runs
on_exit 'stop_group "$PULSE_BESIDE" 10'

test_finish_beside() {
    local proj=$1 filter=$2 name rc=0
    name=$(basename "$proj" .csproj)
    say "Waiting for $name"
    wait "$PULSE_BESIDE" || rc=$?
    PULSE_BESIDE=""
    cat "$PULSE_LOGS/test-$name.log" >&2
    test_count "$proj" "$filter" "$rc"
}

# test_count CSPROJ FILTER RC: the project's .trx counters added to the
# totals. A project that fails without reporting a failed test (did not
# build, host crashed, no report) counts as one failure.
test_count() {
    local proj=$1 filter=$2 rc=$3 name
    name=$(basename "$proj" .csproj)
    local trx="$TEST_RESULTS_DIR/$name.trx"
    if [[ ! -f $trx ]]; then
        if ((rc == 0)) && [[ -n $filter ]]; then
            note "$name: no test matched the filter"
        else
            warn "$name: no test results (dotnet test exited with $rc); counted as 1 failed"
            TEST_FAILED=$((TEST_FAILED + 1))
        fi
        return 0
    fi

    local passed failed skipped
    read -r passed failed skipped < <(trx_counts "$trx")
    note "$name: $passed passed, $failed failed, $skipped skipped"
    TEST_PASSED=$((TEST_PASSED + passed))
    TEST_SKIPPED=$((TEST_SKIPPED + skipped))
    if ((rc != 0 && failed == 0)); then
        warn "$name: dotnet test exited with $rc but reported no failed test; counted as 1 failed"
        failed=1
    fi
    TEST_FAILED=$((TEST_FAILED + failed))
}

# trx_counts TRX: "passed failed skipped" from the <Counters .../> element.
# Errors, timeouts and aborts count as failures. Skipped is notExecuted, or
# total - executed when larger: the VSTest TRX logger leaves notExecuted at
# 0 for skipped xUnit tests and only leaves them out of `executed`.
trx_counts() {
    local counters
    counters=$(grep -o -m 1 '<Counters [^>]*>' "$1" || true)
    local passed failed skipped unexecuted
    passed=$(trx_attr "$counters" passed)
    failed=$(($(trx_attr "$counters" failed) + $(trx_attr "$counters" error) +
        $(trx_attr "$counters" timeout) + $(trx_attr "$counters" aborted)))
    skipped=$(trx_attr "$counters" notExecuted)
    unexecuted=$(($(trx_attr "$counters" total) - $(trx_attr "$counters" executed)))
    ((unexecuted <= skipped)) || skipped=$unexecuted
    printf '%s %s %s\n' "$passed" "$failed" "$skipped"
}

# trx_attr ELEMENT NAME: the numeric attribute NAME, 0 when absent.
trx_attr() {
    if [[ $1 =~ [[:space:]]$2=\"([0-9]+)\" ]]; then
        printf '%s\n' "${BASH_REMATCH[1]}"
    else
        printf '0\n'
    fi
}
