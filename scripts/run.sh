#!/usr/bin/env bash
# make run: the whole CRM with demo data: web (gunicorn + WhiteNoise), Celery worker and
# Celery beat under honcho, on PostgreSQL and Redis.
#
# Ctrl-C (or SIGTERM) stops honcho's processes, then the PostgreSQL and Redis this run
# started (never ones that were already running or given via DATABASE_URL / REDIS_URL).
# Running it again keeps the data: migrate and seed_demo are idempotent.
#
#   PORT=8000 DEMO_CUSTOMERS=2000 scripts/run.sh
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

HONCHO_PID=""
_stopped=0
_stop_all() {
    [ "$_stopped" = "1" ] && return
    _stopped=1
    if [ -n "$HONCHO_PID" ] && kill -0 "$HONCHO_PID" 2>/dev/null; then
        # honcho sends SIGTERM to each process group and SIGKILLs what is left after 5 s.
        kill -TERM "$HONCHO_PID" 2>/dev/null || true
        wait "$HONCHO_PID" 2>/dev/null || true
    fi
    services_stop
}
trap _stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python manage.py migrate --noinput
python manage.py seed_demo --customers "${DEMO_CUSTOMERS:-2000}"
python manage.py collectstatic --noinput >/dev/null

export PORT="${PORT:-8000}"
PROCFILE=Procfile
if [ "${SMS_GATEWAY:-0}" = "1" ]; then
    # SMS through the real twilio client to the local Twilio-compatible gateway, which
    # calls our status webhook back: the whole delivery path, nothing leaves the machine.
    export TWILIO_ACCOUNT_SID=ACdev TWILIO_AUTH_TOKEN=dev-token TWILIO_FROM_NUMBER=+15005550006
    export GATEWAY_PORT="${GATEWAY_PORT:-8765}"
    export TWILIO_API_BASE_URL="http://127.0.0.1:$GATEWAY_PORT"
    export PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
    export TWILIO_STATUS_CALLBACK_URL="$PUBLIC_BASE_URL/marketing/webhooks/twilio/status/"
    PROCFILE=Procfile.gateway
fi
cat <<MSG

  Relasi is starting on  http://127.0.0.1:$PORT/
  Back office (admin):   http://127.0.0.1:$PORT/admin/

MSG
if [ -f docs/DEMO_LOGINS.txt ]; then
    cat docs/DEMO_LOGINS.txt
else
    echo "  Demo logins: see docs/DEMO_LOGINS.txt in the repository (seed_demo creates the users), or create your own"
    echo "  with: .venv/bin/python manage.py createsuperuser"
fi
cat <<MSG

  Ctrl-C stops the web server, worker and beat, and the PostgreSQL and Redis started here.

MSG

# honcho runs in the background so that this shell's traps fire at once on Ctrl-C/SIGTERM
# (bash would otherwise wait for a foreground child before running a trap). honcho starts
# each process in its own session, so the terminal's SIGINT reaches only honcho and us.
set +e
honcho -f "$PROCFILE" start &
HONCHO_PID=$!
wait "$HONCHO_PID"
status=$?
HONCHO_PID=""
exit "$status"
