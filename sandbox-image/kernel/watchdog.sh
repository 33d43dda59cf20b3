#!/bin/sh
# The container's main process. It stops the container (by exiting) once nothing has used the
# sandbox for IDLE_SECONDS: the kernel touches the activity file while its host is connected, and
# every helper call touches it. So a container whose host process died stops by itself.
IDLE_SECONDS="${1:-2100}"
ACTIVITY=/tmp/.sandbox-activity
HORIZON=/tmp/.sandbox-idle-horizon
# Check often enough that a short limit (tests) is honoured, at most every 15 s.
INTERVAL=$(( IDLE_SECONDS / 4 )); [ "$INTERVAL" -lt 1 ] && INTERVAL=1; [ "$INTERVAL" -gt 15 ] && INTERVAL=15
touch "$ACTIVITY"
# Where the runtime does not hold the memory limit per process (gVisor), the host names it in
# SBX_GUARD and the guard holds it from inside (guard.py).
if [ -n "${SBX_GUARD:-}" ]; then python3 -I -S /opt/sandbox/guard.py & fi
trap 'exit 0' TERM INT
while :; do
  sleep "$INTERVAL" &
  wait $!
  # Compare with a file dated IDLE_SECONDS ago through the shell's own test (stat(2)): coreutils'
  # stat asks statx for more than older gVisor releases answer ("Invalid argument").
  touch -d "@$(( $(date +%s) - IDLE_SECONDS ))" "$HORIZON"
  if ! [ "$ACTIVITY" -nt "$HORIZON" ]; then
    echo "watchdog: idle for $IDLE_SECONDS s or more, stopping" >&2
    exit 0
  fi
done
