#!/usr/bin/env bash
# Sourced by run.sh, test.sh and bench.sh: the virtualenv with the pinned requirements,
# then PostgreSQL and Redis (scripts/services.sh). Idempotent; quiet when nothing changed.
#
#   source scripts/bootstrap.sh
#
# After it: the working directory is the repository root, .venv/bin is first on PATH,
# DATABASE_URL and REDIS_URL are exported and services_stop stops what was started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p "$ROOT/.run"

_boot_say() { printf '\033[1m[relasi]\033[0m %s\n' "$*" >&2; }

# apt-get install that survives stale package lists: on failure, update the lists and retry.
_boot_apt() {
    if [ "$(id -u)" != "0" ]; then
        _boot_say "Missing: $*. Install them (sudo apt-get install $*) and run again."
        exit 1
    fi
    _boot_say "Installing $* with apt-get..."
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        touch "$ROOT/.run/.apt-updated"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
    fi
}

# services.sh refreshes the apt lists only once per checkout (.run/.apt-updated); forget a
# marker older than a day so a later install does not hit stale lists.
find "$ROOT/.run" -maxdepth 1 -name .apt-updated -mtime +0 -delete 2>/dev/null || true

# The virtualenv: a missing or broken one (e.g. created without python3-venv) is rebuilt.
if ! { [ -x .venv/bin/python ] && .venv/bin/python -m pip --version >/dev/null 2>&1; }; then
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        _boot_apt python3 python3-venv
    fi
    _boot_say "Creating .venv ..."
    python3 -m venv --clear .venv
    rm -f .venv/.requirements.sha256
fi

# Install requirements.txt only when it changed since the last successful install.
REQ_HASH="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "$(cat .venv/.requirements.sha256 2>/dev/null || true)" != "$REQ_HASH" ]; then
    _boot_say "Installing requirements.txt into .venv ..."
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt >&2
    echo "$REQ_HASH" > .venv/.requirements.sha256
fi

export PATH="$ROOT/.venv/bin:$PATH"
export DJANGO_SETTINGS_MODULE=crm.settings

# WeasyPrint (quotation PDFs) loads Pango through its C library at import time.
if ! .venv/bin/python -c "import weasyprint" >/dev/null 2>&1; then
    _boot_apt libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
fi
export PYTHONUNBUFFERED=1

# Translations: Django loads locale/<lang>/LC_MESSAGES/django.mo, built from the .po next to
# it. Rebuilt here whenever a .po is newer than its .mo (or the .mo is missing), with GNU
# gettext's msgfmt, installed when absent.
_boot_messages() {
    local po stale=0
    for po in locale/*/LC_MESSAGES/*.po; do
        [ -e "$po" ] || continue
        if [ ! -e "${po%.po}.mo" ] || [ "$po" -nt "${po%.po}.mo" ]; then stale=1; fi
    done
    [ "$stale" = "1" ] || return 0
    command -v msgfmt >/dev/null 2>&1 || _boot_apt gettext
    _boot_say "Compiling translations (locale/) ..."
    python manage.py compilemessages --ignore=.venv --ignore=.run --ignore=.git >&2
}
_boot_messages

# shellcheck source=services.sh
source "$ROOT/scripts/services.sh"
