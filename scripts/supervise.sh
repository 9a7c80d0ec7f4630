#!/usr/bin/env bash
# Keep a long-running process alive: restart it whenever it exits, as systemd's
# Restart=always does in production (README, "Running at scale"). Used by the Procfiles,
# because honcho stops every process when one of them exits.
#
#   scripts/supervise.sh celery -A crm worker ...
#
# SIGTERM/SIGINT are passed on to the child and end the loop.
set -u
child=""
stopping=0
_stop() {
    stopping=1
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap _stop TERM INT
delay=1
while [ "$stopping" = "0" ]; do
    started=$(date +%s)
    "$@" &
    child=$!
    wait "$child"
    status=$?
    # wait returns early when a trapped signal arrives: wait for the child to finish.
    while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
    child=""
    [ "$stopping" = "1" ] && break
    # Back off when it keeps dying at once (e.g. the database is down), up to 30 s.
    if [ $(( $(date +%s) - started )) -gt 60 ]; then delay=1; else delay=$(( delay * 2 > 30 ? 30 : delay * 2 )); fi
    echo "[supervise] '$1' exited with status $status; restarting in ${delay}s" >&2
    sleep "$delay" &
    wait $!
done
