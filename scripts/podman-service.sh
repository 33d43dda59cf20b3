#!/usr/bin/env bash
# Rootful Podman's Docker-compatible API for the integration suite: installs Debian's podman (and
# catatonit, the init Podman runs for `Init: true`), starts `podman system service` on
# /run/podman-ci/podman.sock, and copies the sandbox image into Podman's store from Docker's.
# Podman keeps its own store (/var/lib/containers); Docker's engine, images and containers are not touched.
# Prints the socket's DOCKER_HOST on stdout. Usage: bash scripts/podman-service.sh IMAGE_TAG
set -euo pipefail

log() { printf '[podman] %s\n' "$*" >&2; }
tag="${1:?usage: podman-service.sh IMAGE_TAG}"
dir=/run/podman-ci
sock="$dir/podman.sock"
conf="$dir/containers.conf"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=()
for p in podman catatonit curl; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
$SUDO mkdir -p "$dir"

podman_() { $SUDO env CONTAINERS_CONF="$conf" podman --cgroup-manager=cgroupfs --events-backend=file "$@"; }
answers() { curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; }

# Rootful Podman asks for RLIMIT_NOFILE 1048576 (and a large NPROC) in every container; where its
# own hard limits are lower (VMs like this one), runc fails with "error setting rlimits". Give
# containers the service's own limits instead.
start() {
  log "starting podman system service on $sock"
  $SUDO rm -f "$sock"
  $SUDO setsid env CONTAINERS_CONF="$conf" podman --cgroup-manager=cgroupfs --events-backend=file \
    system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 </dev/null &
  echo $! | $SUDO tee "$dir/pid" >/dev/null
  for _ in $(seq 1 40); do answers && return 0; sleep 0.25; done
  log "podman system service did not answer; its log:"; tail -20 "$dir/service.log" >&2; exit 3
}
limits_of() { awk -v k="$2" '$0 ~ k { print $(NF-1) }' "/proc/$1/limits"; }

if ! answers; then
  [ -f "$conf" ] || printf '[containers]\n' | $SUDO tee "$conf" >/dev/null
  start
  pid=$(cat "$dir/pid")
  nofile=$(limits_of "$pid" 'Max open files'); nproc=$(limits_of "$pid" 'Max processes')
  want=$(printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$nofile" "$nofile" "$nproc" "$nproc")
  if [ "$(cat "$conf")" != "$want" ]; then
    log "container limits set to the service's own: nofile $nofile, nproc $nproc"
    printf '%s\n' "$want" | $SUDO tee "$conf" >/dev/null
    $SUDO kill "$pid"; sleep 0.5
    start
  fi
fi

if ! podman_ image exists "$tag"; then
  log "copying $tag from Docker's store into Podman's (docker save | podman load)"
  docker save "$tag" | podman_ load -q >&2
fi
echo "unix://$sock"
