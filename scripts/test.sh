#!/usr/bin/env bash
# make test: the full suite on real PostgreSQL, Redis and headless Chromium.
# Extra arguments go to pytest: scripts/test.sh -k customer -x
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
trap 'exit 130' INT
trap 'exit 143' TERM
trap services_stop EXIT

# Debian's chromium drives the browser tests (Playwright with executable_path).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" != "0" ]; then
        _say "The browser tests need Debian's chromium: sudo apt-get install chromium (then run again)."
        exit 1
    fi
    _boot_apt chromium
fi
export CHROMIUM_PATH=/usr/bin/chromium

# WhiteNoise warns about a missing STATIC_ROOT; the live-server tests use the same files.
python manage.py collectstatic --noinput >/dev/null

set +e
python -m pytest "$@"
status=$?
set -e
trap - EXIT
services_stop
exit "$status"
