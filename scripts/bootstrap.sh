#!/usr/bin/env bash
# Sourced by run.sh, test.sh and bench.sh: the virtualenv with the pinned requirements,
# then PostgreSQL and Redis (scripts/services.sh). Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ ! -x .venv/bin/python ]; then
    echo "[relasi] Creating .venv ..." >&2
    python3 -m venv .venv
fi
REQ_HASH="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "$(cat .venv/.requirements.sha256 2>/dev/null || true)" != "$REQ_HASH" ]; then
    echo "[relasi] Installing requirements.txt ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2
    echo "$REQ_HASH" > .venv/.requirements.sha256
fi
export PATH="$ROOT/.venv/bin:$PATH"
export DJANGO_SETTINGS_MODULE=crm.settings

# shellcheck source=services.sh
source "$ROOT/scripts/services.sh"
