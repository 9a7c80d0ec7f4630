#!/usr/bin/env bash
# make run-branch: a second instance of Relasi running as one branch's own server (issue 16),
# wired to the head office that `make run` serves. Start `make run` first, in another terminal.
#
# It creates the branch's own database (relasi_branch_<code>) once, issues a sync credential
# at head office, makes the first copy (sync_enrol), then serves the branch on BRANCH_PORT with
# its own Celery worker ("Sync now" runs there). Data stays between runs.
#
#   BRANCH_CODE=jks BRANCH_PORT=8001 HQ_PORT=8000 scripts/run_branch.sh
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
trap 'exit 130' INT
trap 'exit 143' TERM

CODE="${BRANCH_CODE:-jks}"
HQ_DATABASE_URL="$DATABASE_URL"
HQ_URL="http://127.0.0.1:${HQ_PORT:-8000}"
if ! curl -fsS -o /dev/null "$HQ_URL/accounts/login/"; then
    _boot_say "Head office does not answer at $HQ_URL: start it with 'make run' first."
    exit 1
fi
DB="relasi_branch_$CODE"
BRANCH_DATABASE_URL="${HQ_DATABASE_URL%/*}/$DB"
PG="$(python - "$HQ_DATABASE_URL" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(f"-h {u.hostname} -p {u.port or 5432} -U {u.username}")
PY
)"
# shellcheck disable=SC2086
psql $PG -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 || createdb $PG "$DB"

mkdir -p .run
TOKEN_FILE=".run/branch-$CODE.token"
export RELASI_ROLE=branch BRANCH_CODE="$CODE" HQ_URL
export DATABASE_URL="$BRANCH_DATABASE_URL"
export REDIS_URL="${REDIS_URL%/*}/5" CACHE_URL="${REDIS_URL%/*}/6"
python manage.py migrate --noinput -v0
if [ ! -s "$TOKEN_FILE" ]; then
    DATABASE_URL="$HQ_DATABASE_URL" RELASI_ROLE=hq python manage.py sync_credential "$CODE" | tail -1 > "$TOKEN_FILE"
fi
export SYNC_TOKEN="$(cat "$TOKEN_FILE")"
if [ "$(python manage.py shell -c 'from branches.sync import state; print(bool(state().enrolled_at))')" != "True" ]; then
    _boot_say "First copy from head office ..."
    python manage.py sync_enrol
fi
export PORT="${BRANCH_PORT:-8001}"
cat <<MSG

  Branch "$CODE" runs on  http://127.0.0.1:$PORT/  (its own database $DB)
  Head office:            $HQ_URL/
  Log in with the same demo accounts (e.g. manager.$CODE@relasi.test); Branches > Synchronisation > Sync now.

MSG
exec honcho -f Procfile.branch start
