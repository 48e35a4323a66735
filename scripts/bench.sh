# shellcheck shell=bash
# ./pulse bench: the load benchmarks live in bench/; bench/run.sh (when it
# exists) runs them and prints the results table.

pulse_bench() {
    local runner="$PULSE_ROOT/bench/run.sh"
    if [[ -f $runner ]]; then
        say "Running the benchmarks (bench/run.sh)"
        exec bash "$runner" "$@"
    fi
    say "Benchmarks live in bench/; there are none yet (bench/run.sh does not exist)."
}
