#!/usr/bin/env bash
# Make sure PostgreSQL and Redis are reachable for Relasi, then print the env to use.
#
#   source scripts/services.sh        # starts project-local servers unless DATABASE_URL / REDIS_URL are set
#   services_stop                     # stops only what this script started
#
# Project-local servers live under .run/ (git-ignored) and listen on loopback only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"
PG_PORT="${RELASI_PG_PORT:-54329}"
REDIS_PORT="${RELASI_REDIS_PORT:-63799}"
mkdir -p "$RUN_DIR"
RELASI_STARTED_PG=0
RELASI_STARTED_REDIS=0
RELASI_PG_DATA="$RUN_DIR/pg"

_say() { printf '\033[1m[relasi]\033[0m %s\n' "$*" >&2; }

_apt_install() {
    # Install Debian packages when missing; only root can, everyone else gets told what to install.
    local missing=("$@")
    if [ "$(id -u)" != "0" ]; then
        _say "Missing: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) or set DATABASE_URL/REDIS_URL."
        exit 1
    fi
    _say "Installing ${missing[*]} with apt-get..."
    if [ ! -f "$RUN_DIR/.apt-updated" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch "$RUN_DIR/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

_pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    echo "$d"
}

# Run a PostgreSQL binary: PostgreSQL refuses to run as root, so root runs it as "postgres".
_pg_as() {
    if [ "$(id -u)" = "0" ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    if [ -n "${DATABASE_URL:-}" ]; then
        _say "Using DATABASE_URL from the environment."
        return
    fi
    local bindir
    bindir=$(_pg_bindir)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        _apt_install postgresql postgresql-contrib
        bindir=$(_pg_bindir)
    fi
    local data="$RUN_DIR/pg"
    if [ "$(id -u)" = "0" ] && ! runuser -u postgres -- test -x "$RUN_DIR"; then
        # The "postgres" user cannot reach this checkout (a private parent folder): keep
        # the cluster in a per-checkout folder it can reach instead.
        data="/var/tmp/relasi-pg-$(echo "$ROOT" | sha1sum | cut -c1-12)"
        _say "Using $data for the PostgreSQL cluster (the postgres user cannot reach $RUN_DIR)."
    fi
    RELASI_PG_DATA="$data"
    if [ ! -f "$data/PG_VERSION" ]; then
        _say "Creating a project-local PostgreSQL cluster in .run/pg ..."
        mkdir -p "$data"
        [ "$(id -u)" = "0" ] && chown postgres:postgres "$data"
        chmod 700 "$data"
        _pg_as "$bindir/initdb" -D "$data" -U relasi --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$data'
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
# Dev/test cluster: a crash may lose the last commits, never corrupt data.
synchronous_commit = off
random_page_cost = 1.1
max_connections = 400  # the numbering test runs 200 transactions at once (tests/sales/test_quotation_numbering.py)
CONF
    fi
    if _pg_as "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        _say "PostgreSQL already running on 127.0.0.1:$PG_PORT."
    else
        _pg_as "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
        RELASI_STARTED_PG=1
        _say "PostgreSQL started on 127.0.0.1:$PG_PORT."
    fi
    # The database itself; idempotent.
    if ! "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U relasi -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='relasi'" | grep -q 1; then
        "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U relasi relasi
    fi
    export DATABASE_URL="postgres://relasi@127.0.0.1:$PG_PORT/relasi"
}

start_redis() {
    if [ -n "${REDIS_URL:-}" ]; then
        _say "Using REDIS_URL from the environment."
        return
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        _apt_install redis-server
    fi
    local dir="$RUN_DIR/redis"
    mkdir -p "$dir"
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        _say "Redis already running on 127.0.0.1:$REDIS_PORT."
    else
        redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" --daemonize yes \
            --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
            --maxmemory-policy noeviction --appendonly yes --save "" >/dev/null
        for _ in $(seq 50); do
            redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        RELASI_STARTED_REDIS=1
        _say "Redis started on 127.0.0.1:$REDIS_PORT."
    fi
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

services_stop() {
    if [ "$RELASI_STARTED_REDIS" = "1" ]; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        _say "Redis stopped."
    fi
    if [ "$RELASI_STARTED_PG" = "1" ]; then
        _pg_as "$(_pg_bindir)/pg_ctl" -D "$RELASI_PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
        _say "PostgreSQL stopped."
    fi
}

start_postgres
start_redis
