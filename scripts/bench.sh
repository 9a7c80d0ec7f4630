#!/usr/bin/env bash
# make bench: the page benchmark on its own database (relasi_bench), never the demo data.
set -euo pipefail
USER_DB="${DATABASE_URL:-}"
source "$(dirname "$0")/bootstrap.sh"
trap services_stop EXIT

if [ -n "$USER_DB" ]; then
    : "${BENCH_DATABASE_URL:?With DATABASE_URL set, set BENCH_DATABASE_URL to a scratch database for the benchmark}"
    export DATABASE_URL="$BENCH_DATABASE_URL"
else
    bindir=$(_pg_bindir)
    if ! "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U relasi -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='relasi_bench'" | grep -q 1; then
        "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U relasi relasi_bench
    fi
    export DATABASE_URL="postgres://relasi@127.0.0.1:$PG_PORT/relasi_bench"
fi
python manage.py migrate --noinput >/dev/null
python manage.py bench "$@"
