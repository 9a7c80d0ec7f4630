#!/usr/bin/env bash
# make bench: the page benchmark on its own database (relasi_bench), never the demo data.
# Arguments go to `manage.py bench`: scripts/bench.sh --sizes 10000 --runs 20
# (BENCH_COMMAND=bench_sms runs the SMS benchmark instead: make bench-sms.)
#
# With a user-given DATABASE_URL, BENCH_DATABASE_URL must name a scratch database
# (the benchmark loads up to a million customers into it).
set -euo pipefail
USER_DB="${DATABASE_URL:-}"
source "$(dirname "$0")/bootstrap.sh"
trap 'exit 130' INT
trap 'exit 143' TERM
trap services_stop EXIT

if [ -n "$USER_DB" ]; then
    if [ -z "${BENCH_DATABASE_URL:-}" ]; then
        _say "DATABASE_URL is set: set BENCH_DATABASE_URL to a scratch database for the benchmark."
        exit 1
    fi
    export DATABASE_URL="$BENCH_DATABASE_URL"
else
    bindir=$(_pg_bindir)
    if ! "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U relasi -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='relasi_bench'" | grep -q 1; then
        "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U relasi relasi_bench
        _say "Created database relasi_bench."
    fi
    export DATABASE_URL="postgres://relasi@127.0.0.1:$PG_PORT/relasi_bench"
fi
python manage.py migrate --noinput >/dev/null
if [ "${BENCH_COMMAND:-bench}" = "bench" ]; then
    # The page benchmark runs the production settings in-process too (DEBUG off: cached
    # templates, hashed static files); only HTTPS is off. Its HTTP half starts gunicorn
    # with the same settings (crm/benchmarks/http.py).
    export DEBUG=0 SECRET_KEY="${BENCH_SECRET_KEY:-bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz}" \
        ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
        SECURE_HSTS_SECONDS=0 STATIC_ROOT="$ROOT/.run/bench-static" LOG_LEVEL=WARNING
    python manage.py collectstatic --noinput -v 0
fi
python manage.py "${BENCH_COMMAND:-bench}" "$@"
