# shellcheck shell=bash
# Installs and builds what ./pulse needs, idempotently: each step checks
# first and stays silent when there is nothing to do, so a second run costs
# seconds.

DASHBOARD_DIR="$PULSE_ROOT/src/Functions.Realtime/dashboard"
SOLUTION="$PULSE_ROOT/PulseStream.sln"

# bootstrap [--chromium]: everything, in dependency order.
bootstrap() {
    local with_chromium=0
    [[ ${1:-} == --chromium ]] && with_chromium=1
    ensure_state_dirs
    bootstrap_system "$with_chromium"
    bootstrap_tools
    bootstrap_dashboard
    bootstrap_dotnet
}

# --- system packages (apt) -------------------------------------------------

# bootstrap_system WITH_CHROMIUM: Debian packages, installed only when the
# file they provide is missing (apt is not even asked otherwise).
bootstrap_system() {
    local with_chromium=$1
    local -a missing=()
    [[ -x $PG_BIN/postgres ]] || missing+=(postgresql-15)
    if ((with_chromium)) && [[ ! -x /usr/bin/chromium ]]; then missing+=(chromium); fi

    command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH; install .NET SDK 10 (see global.json)"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        die "Node.js and npm are not on PATH; install Node.js 20 or newer"
    fi

    ((${#missing[@]})) || return 0
    if ! is_root; then
        warn "missing system packages: ${missing[*]}"
        warn "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
        [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 is required"
        return 0   # chromium only matters for the browser tests
    fi
    apt_install "${missing[@]}"
}

# apt_install PACKAGE...: `apt-get update` (once per run), then install.
# DPkg::Lock::Timeout waits for another apt/dpkg instead of failing.
PULSE_APT_UPDATED=0
apt_install() {
    local log="$PULSE_LOGS/apt.log"
    say "Installing system packages: $* (log: .pulse/logs/apt.log)"
    export DEBIAN_FRONTEND=noninteractive
    if ((PULSE_APT_UPDATED == 0)); then
        run_quiet "$log" apt-get -o DPkg::Lock::Timeout=300 update ||
            die "apt-get update failed"
        PULSE_APT_UPDATED=1
    fi
    run_quiet "$log.install" apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@" ||
        die "apt-get install $* failed"
    cat "$log.install" >>"$log" && rm -f "$log.install"
}

# --- npm -------------------------------------------------------------------

# npm_ci_needed DIR: node_modules is missing or older than the lockfile
# (npm ci writes node_modules/.package-lock.json last, on success).
npm_ci_needed() {
    local dir=$1
    local marker="$dir/node_modules/.package-lock.json"
    [[ -f $marker ]] || return 0
    [[ $dir/package-lock.json -nt $marker || $dir/package.json -nt $marker ]]
}

# npm_ci DIR LOGNAME: reproducible install from the committed lockfile.
npm_ci() {
    local dir=$1 log="$PULSE_LOGS/$2"
    [[ -f $dir/package-lock.json ]] ||
        die "$dir has no package-lock.json: run 'npm install' there and commit the lockfile"
    say "Installing npm packages in ${dir#"$PULSE_ROOT"/} (log: .pulse/logs/$2)"
    run_quiet "$log" npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error ||
        die "npm ci failed in $dir"
}

# bootstrap_tools: Azurite, pinned in tools/package.json.
bootstrap_tools() {
    local dir="$PULSE_ROOT/tools"
    if npm_ci_needed "$dir" || [[ ! -x $dir/node_modules/.bin/azurite ]]; then
        npm_ci "$dir" npm-tools.log
    fi
}

# bootstrap_dashboard: the dashboard SPA, built into
# src/Functions.Realtime/wwwroot/ (which the .NET build then copies).
PULSE_DASHBOARD_REBUILT=0
bootstrap_dashboard() {
    local dir=$DASHBOARD_DIR
    [[ -f $dir/package.json ]] || return 0
    if npm_ci_needed "$dir"; then
        npm_ci "$dir" npm-dashboard.log
    fi
    local out="$PULSE_ROOT/src/Functions.Realtime/wwwroot"
    if stamp_outdated dashboard-build "$dir" || [[ ! -d $out ]]; then
        local fingerprint=$STAMP_FINGERPRINT
        say "Building the dashboard (log: .pulse/logs/dashboard-build.log)"
        run_quiet "$PULSE_LOGS/dashboard-build.log" npm run --prefix "$dir" build ||
            die "the dashboard build failed"
        stamp_commit dashboard-build "$fingerprint"
        PULSE_DASHBOARD_REBUILT=1
    fi
}

# --- .NET ------------------------------------------------------------------

# dotnet_projects_outside_solution: test projects (tests/*/*Tests.csproj)
# and the local host that PulseStream.sln does not list (or all of them when
# there is no solution yet): they are built one by one.
dotnet_projects_outside_solution() {
    local proj
    for proj in "$PULSE_ROOT"/tests/*/*Tests.csproj "$PULSE_ROOT"/src/LocalHost/*.csproj; do
        [[ -f $proj ]] || continue
        if [[ ! -f $SOLUTION ]] || ! grep -qF "$(basename "$proj")" "$SOLUTION"; then
            printf '%s\n' "$proj"
        fi
    done
}

# dotnet_outputs_missing: a project that ./pulse runs has no Release build
# (e.g. after `git clean -xfd` or a first clone), whatever the stamp says.
dotnet_outputs_missing() {
    local proj
    for proj in "$PULSE_ROOT"/tests/*/*Tests.csproj "$PULSE_ROOT"/src/LocalHost/*.csproj; do
        [[ -f $proj ]] || continue
        [[ -d $(dirname "$proj")/bin/Release ]] || return 0
    done
    return 1
}

# bootstrap_dotnet: dotnet build -c Release when a source, project or build
# setting changed since the last successful build (or outputs are missing).
bootstrap_dotnet() {
    local -a orphans=()
    mapfile -t orphans < <(dotnet_projects_outside_solution)
    if [[ ! -f $SOLUTION ]] && ((${#orphans[@]} == 0)); then
        note "PulseStream.sln not found: skipping the .NET build"
        return 0
    fi
    # Always evaluated first: the fingerprint is recorded after the build.
    local up_to_date=0 fingerprint
    stamp_outdated dotnet-build "$PULSE_ROOT"/*.sln "$PULSE_ROOT"/*.props \
        "$PULSE_ROOT"/global.json "$PULSE_ROOT"/[Nn]u[Gg]et.[Cc]onfig \
        "$PULSE_ROOT/src" "$PULSE_ROOT/tests" "$PULSE_ROOT/bench" "$PULSE_ROOT/tools" || up_to_date=1
    fingerprint=$STAMP_FINGERPRINT
    if ((up_to_date && PULSE_DASHBOARD_REBUILT == 0)) && [[ -z ${PULSE_REBUILD:-} ]] &&
        ! dotnet_outputs_missing; then
        return 0
    fi

    local log="$PULSE_LOGS/build.log"
    say "Building the .NET solution (Release; log: .pulse/logs/build.log)"
    : >"$log"
    local target
    for target in "$SOLUTION" "${orphans[@]}"; do
        [[ -f $target ]] || continue
        if [[ $target != "$SOLUTION" ]]; then
            warn "${target#"$PULSE_ROOT"/} is not in PulseStream.sln; building it on its own (add it to the solution)"
        fi
        dotnet_build "$target" "$log" || die "the .NET build failed (full log: .pulse/logs/build.log)"
    done
    stamp_commit dotnet-build "$fingerprint"
}

# dotnet_build TARGET LOG: quiet build; on failure print the distinct error
# lines (MSBuild repeats them in its summary) or, failing that, the log end.
dotnet_build() {
    local target=$1 log=$2 rc=0
    local -a extra=()
    if [[ -n ${CI:-} ]]; then
        # No build servers or MSBuild nodes outliving the CI run.
        extra+=(-nodeReuse:false -p:UseSharedCompilation=false)
    fi
    dotnet build "$target" -c Release -v q -nologo -tl:off "${extra[@]}" >>"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        if grep -qE ': error [A-Z]+[0-9]*' "$log"; then
            grep -E ': error [A-Z]+[0-9]*' "$log" | sed -E 's/ \[[^]]*\]$//' | sort -u | head -n 60 >&2
        else
            show_log_tail "$log" 40
        fi
    fi
    return "$rc"
}
