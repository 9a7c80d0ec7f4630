#!/usr/bin/env bash
# make run: the whole CRM with demo data. Ctrl-C stops everything this started.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
trap services_stop EXIT

python manage.py migrate --noinput
python manage.py seed_demo --customers "${DEMO_CUSTOMERS:-2000}"
python manage.py collectstatic --noinput >/dev/null

PORT="${PORT:-8000}"
export PORT
cat <<MSG

  Relasi is starting on  http://127.0.0.1:$PORT/
  Back office (admin):   http://127.0.0.1:$PORT/admin/

MSG
cat docs/DEMO_LOGINS.txt 2>/dev/null || true
echo
echo "  Ctrl-C stops the web server, worker, beat, PostgreSQL and Redis started here."
echo

# honcho stops its children on Ctrl-C; the EXIT trap then stops the servers we started.
set +e
honcho -f Procfile start
