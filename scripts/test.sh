#!/usr/bin/env bash
# make test: the full suite on real PostgreSQL, Redis and headless Chromium.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"

if [ ! -x /usr/bin/chromium ]; then
    _apt_install chromium
fi
export CHROMIUM_PATH=/usr/bin/chromium

python manage.py collectstatic --noinput >/dev/null
set +e
python -m pytest "$@"
status=$?
set -e
services_stop
exit $status
