# shellcheck shell=bash
# Private PostgreSQL clusters for ./pulse up (kept in .pulse/pg) and
# ./pulse test (throwaway). The low-level functions take the data directory
# and port as arguments; pg_prepare_location decides where a named cluster
# lives.
#
# Postgres refuses to run as root. As root, the server tools run as the
# `postgres` OS user, and because the checkout may sit under a directory that
# user cannot enter (/root/...), the real data directory is kept under
# /var/lib/pulsestream/<hash of the checkout path>/ and .pulse/pg is a
# symlink to it.

PG_BIN=${PULSE_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=postgres
PG_SUPERUSER=postgres
PG_ROOT_BASE=/var/lib/pulsestream

# pg_as_owner CMD...: run a server tool as the user that owns the clusters.
# From / because the postgres user may not be allowed into the current
# directory (initdb and pg_ctl look it up).
pg_as_owner() {
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

# pg_make_dir DIR: create DIR (mode 700) owned by the cluster owner.
pg_make_dir() {
    if is_root; then
        install -d -o "$PG_OS_USER" -g "$PG_OS_USER" -m 700 "$1"
    else
        mkdir -p "$1" && chmod 700 "$1"
    fi
}

# repo_hash: short, stable id of this checkout, to keep the clusters of
# several checkouts on one machine apart.
repo_hash() {
    local h
    h=$(printf '%s' "$PULSE_ROOT" | sha256sum)
    printf '%s\n' "${h:0:12}"
}

# pg_root_dir: per-checkout directory under /var/lib/pulsestream (root only).
pg_root_dir() {
    printf '%s/%s\n' "$PG_ROOT_BASE" "$(repo_hash)"
}

# pg_prepare_location NAME LOG [LINK]: set PG_DATA (real data directory)
# and PG_LOG (server log) for the cluster NAME. Not as root: .pulse/NAME and
# LOG. As root: both in pg_root_dir, and LINK (if given) becomes a symlink to
# the data directory; LOG is then for the caller to link or copy.
PG_DATA="" PG_LOG=""
pg_prepare_location() {
    local name=$1 log=$2 link=${3:-}
    if ! is_root; then
        PG_DATA="$PULSE_STATE/$name"
        PG_LOG=$log
        return 0
    fi
    install -d -m 755 "$PG_ROOT_BASE"
    local base
    base=$(pg_root_dir)
    pg_make_dir "$base"
    PG_DATA="$base/$name"
    PG_LOG="$base/$name.log"
    [[ -n $link ]] || return 0

    if [[ -L $link && -d $link ]]; then
        # Keep using the cluster the link points to, even if the checkout was
        # moved since (its hash, and so the default place, changed).
        PG_DATA=$(readlink -f "$link")
        PG_LOG="$(dirname "$PG_DATA")/$name.log"
    elif [[ -e $link && ! -L $link ]]; then
        die "$link is a directory, made by a run as another user; as root the cluster must live under $PG_ROOT_BASE. Move it away (or delete it to start over) and run again."
    fi
    ln -sfn "$PG_DATA" "$link"
}

# pg_is_initialized DATA
pg_is_initialized() { [[ -f $1/PG_VERSION ]]; }

# pg_is_running DATA: a postmaster runs on DATA (pg_ctl status exit 0).
pg_is_running() { pg_as_owner "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# pg_init DATA PASSWORD LOG: initdb on first use only; the superuser
# `postgres` gets PASSWORD, and every connection must authenticate.
pg_init() {
    local data=$1 password=$2 log=$3
    pg_is_initialized "$data" && return 0
    say "Creating a PostgreSQL cluster in $data"
    # A directory without PG_VERSION is a half-made cluster (initdb was cut
    # short): initdb wants an empty directory.
    if [[ -e $data ]]; then rm -rf "$data"; fi
    pg_make_dir "$data"

    # initdb runs as the cluster owner, so the password file must be
    # readable by it: put it beside the data directory, mode 600.
    local pwfile
    pwfile="$(dirname "$data")/.pwfile-$$"
    (umask 077 && printf '%s\n' "$password" >"$pwfile")
    if is_root; then chown "$PG_OS_USER:" "$pwfile"; fi

    local rc=0
    # UTF8 and C.UTF-8 explicitly: CI may have no LANG, which would give the
    # cluster SQL_ASCII.
    run_quiet "$log" pg_as_owner "$PG_BIN/initdb" -D "$data" -U "$PG_SUPERUSER" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --no-instructions || rc=$?
    rm -f "$pwfile"
    ((rc == 0)) || die "initdb failed (log: $log)"
}

# pg_reset_password DATA PASSWORD: set the superuser's password on a stopped
# cluster (single-user mode), when the saved password file was lost.
pg_reset_password() {
    local data=$1 password=$2
    warn "the saved Postgres password is missing; setting a new one"
    printf "ALTER ROLE %s PASSWORD '%s';\n" "$PG_SUPERUSER" "$password" |
        run_quiet "$PULSE_LOGS/postgres-single-user.log" \
            pg_as_owner "$PG_BIN/postgres" --single -D "$data" postgres ||
        die "could not reset the Postgres superuser password in $data"
}

# pg_socket_dir PORT: unix socket directory; under /tmp because the socket
# path must be short and writable by the cluster owner.
pg_socket_dir() { printf '/tmp/pulsestream-pg-%s\n' "$1"; }

# pg_start DATA PORT LOG: start the cluster on 127.0.0.1:PORT and wait until
# it accepts connections. A server still running on DATA (left by a run that
# was killed) is stopped first, so the port and settings are this run's.
pg_start() {
    local data=$1 port=$2 log=$3
    if pg_is_running "$data"; then
        note "a Postgres server left running on $data: restarting it"
        pg_stop "$data"
    fi
    if port_in_use "$port"; then
        die "port $port is in use; set PULSE_PG_PORT to another port (or stop what listens there)"
    fi
    local sockdir
    sockdir=$(pg_socket_dir "$port")
    pg_make_dir "$sockdir"
    if is_root; then
        # The log is written by the server, as the cluster owner.
        touch "$log" && chown "$PG_OS_USER:" "$log"
    fi

    local out
    out=$(mktemp)
    if ! pg_as_owner "$PG_BIN/pg_ctl" start -D "$data" -l "$log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$sockdir -c max_connections=${PULSE_PG_MAX_CONNECTIONS:-200}" \
        >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        show_log_tail "$log" 30
        die "Postgres did not start on port $port"
    fi
    rm -f "$out"
}

# pg_stop DATA: fast shutdown (rolls back open transactions, then a clean
# checkpoint); SIGKILL only if that does not finish in 30 s.
pg_stop() {
    local data=$1
    pg_is_running "$data" || return 0
    if ! pg_as_owner "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null 2>&1; then
        warn "Postgres on $data did not stop in time; killing it"
        local pid
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
        [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
    fi
    return 0
}

# pg_psql PORT PASSWORD DB SQL: run one statement as the superuser, print
# the result unaligned.
pg_psql() {
    local port=$1 password=$2 db=$3 sql=$4
    PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d "$db" -tAc "$sql"
}

# pg_ensure_database PORT PASSWORD NAME: create database NAME if missing.
pg_ensure_database() {
    local port=$1 password=$2 name=$3 exists
    exists=$(pg_psql "$port" "$password" postgres \
        "SELECT 1 FROM pg_database WHERE datname = '$name'") ||
        die "cannot connect to Postgres on port $port"
    if [[ $exists != 1 ]]; then
        note "creating database $name"
        pg_psql "$port" "$password" postgres "CREATE DATABASE \"$name\"" >/dev/null
    fi
}

# pg_new_password: 48 hex characters (no quoting needed in a connection
# string or in SQL).
pg_new_password() {
    od -An -tx1 -N24 /dev/urandom | tr -d ' \n'
}

# pg_connection_string PORT PASSWORD [DATABASE]: Npgsql syntax.
pg_connection_string() {
    local s="Host=127.0.0.1;Port=$1;Username=$PG_SUPERUSER;Password=$2"
    [[ -n ${3:-} ]] && s+=";Database=$3"
    printf '%s\n' "$s"
}

# pg_remove_stale_test_clusters: throwaway clusters whose ./pulse test run
# was killed before it could delete them (named test-<pid>).
pg_remove_stale_test_clusters() {
    local parent dir pid
    if is_root; then parent=$(pg_root_dir); else parent=$PULSE_STATE; fi
    [[ -d $parent ]] || return 0
    for dir in "$parent"/test-pg-*; do
        [[ -d $dir ]] || continue
        pid=${dir##*-}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        proc_alive "$pid" && continue
        note "removing the throwaway cluster of an earlier, interrupted test run ($dir)"
        if pg_is_running "$dir"; then
            pg_as_owner "$PG_BIN/pg_ctl" stop -D "$dir" -m immediate -w -t 30 >/dev/null 2>&1 || true
        fi
        rm -rf "$dir" "$dir.log"
    done
}

# --- the two clusters ./pulse uses -----------------------------------------

# pg_up_cluster: start the persistent development cluster (.pulse/pg) on
# PULSE_PG_PORT (55432), create database pulsestream, export
# PostgresConnection. Registers its stop.
pg_up_cluster() {
    local port=${PULSE_PG_PORT:-55432}
    local secrets="$PULSE_STATE/secrets" pwfile password
    pwfile="$secrets/pg-superuser-password"
    mkdir -p "$secrets" && chmod 700 "$secrets"

    pg_prepare_location pg "$PULSE_LOGS/postgres.log" "$PULSE_STATE/pg"
    if is_root; then
        ln -sfn "$PG_LOG" "$PULSE_LOGS/postgres.log"
    elif [[ -L $PULSE_LOGS/postgres.log ]]; then
        rm -f "$PULSE_LOGS/postgres.log"   # a link made by an earlier run as root
    fi

    if [[ -s $pwfile ]]; then
        password=$(<"$pwfile")
    else
        password=$(pg_new_password)
        (umask 077 && printf '%s\n' "$password" >"$pwfile")
        if pg_is_initialized "$PG_DATA"; then
            pg_is_running "$PG_DATA" && pg_stop "$PG_DATA"
            pg_reset_password "$PG_DATA" "$password"
        fi
    fi

    pg_init "$PG_DATA" "$password" "$PULSE_LOGS/initdb.log"
    say "Starting PostgreSQL on 127.0.0.1:$port (data: .pulse/pg, log: .pulse/logs/postgres.log)"
    pg_start "$PG_DATA" "$port" "$PG_LOG"
    on_exit "say 'Stopping PostgreSQL'; pg_stop $(printf '%q' "$PG_DATA"); rm -rf $(pg_socket_dir "$port")"
    pg_ensure_database "$port" "$password" pulsestream

    PostgresConnection=$(pg_connection_string "$port" "$password" pulsestream)
    export PostgresConnection
}

# pg_test_cluster PORT: start a fresh cluster for one test run, deleted when
# the run ends; export PULSE_TEST_POSTGRES (superuser, no database: tests
# create their own).
pg_test_cluster() {
    local port=$1 password data log
    pg_remove_stale_test_clusters
    password=$(pg_new_password)
    pg_prepare_location "test-pg-$$" "$PULSE_LOGS/test-postgres.log"
    data=$PG_DATA log=$PG_LOG
    rm -f "$log"    # one log per test run

    # Register the clean-up before creating anything, so a failure half-way
    # still removes the directory. The log is copied into .pulse/logs first.
    on_exit "pg_test_cluster_remove $(printf '%q ' "$data" "$log" "$port")"
    pg_init "$data" "$password" "$PULSE_LOGS/test-initdb.log"
    pg_start "$data" "$port" "$log"

    PULSE_TEST_POSTGRES=$(pg_connection_string "$port" "$password")
    export PULSE_TEST_POSTGRES
}

pg_test_cluster_remove() {
    local data=$1 log=$2 port=$3
    pg_stop "$data"
    rm -rf "$(pg_socket_dir "$port")"
    if [[ -f $log && $log != "$PULSE_LOGS/"* ]]; then
        cp -f "$log" "$PULSE_LOGS/test-postgres.log" 2>/dev/null || true
    fi
    rm -rf "$data"
    [[ $log == "$PULSE_LOGS/"* ]] || rm -f "$log"
}
