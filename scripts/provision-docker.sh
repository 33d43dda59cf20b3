#!/usr/bin/env bash
# Provision a Docker engine and the debian:trixie-slim base image on a bare Debian machine.
# Idempotent: each step is skipped when its result already exists. Used by .ci/run.
set -euo pipefail

log() { printf '[provision] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The Debian mirror this machine's apt already uses (deb822 .sources or one-line sources.list), so
# the seed comes from the same place; deb.debian.org only when none is configured.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' | grep -E '^https?://.*/debian/?$' | head -n 1 || true)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '$1=="deb" {print $2}' | grep -E '^https?://.*/debian/?$' | head -n 1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}" | sed 's#/$##'
}

# 1. A Docker engine that answers.
if docker info >/dev/null 2>&1; then
  log "docker engine already answers"
else
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io
  fi
  log "starting dockerd (no iptables, no bridge)"
  $SUDO mkdir -p /var/log
  # setsid: the daemon must outlive this script and the CI step that started it.
  $SUDO setsid nohup dockerd --iptables=false --ip6tables=false --bridge=none \
    >/var/log/dockerd-ci.log 2>&1 < /dev/null &
  for i in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then break; fi
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not answer within 60 s; its log:"
    tail -50 /var/log/dockerd-ci.log >&2 || true
    exit 3
  fi
  log "docker engine answers"
fi

# 2. The base image, seeded from Debian's archive (no image registry is reachable here).
if docker image inspect debian:trixie-slim >/dev/null 2>&1; then
  log "debian:trixie-slim present"
else
  if docker pull -q debian:trixie-slim >/dev/null 2>&1; then
    log "pulled debian:trixie-slim"
  else
    apt_install debootstrap
    root=$(mktemp -d /var/tmp/trixie-rootfs.XXXXXX)
    log "seeding debian:trixie-slim with debootstrap into $root (about 1.5 minutes)"
    mirror=$(debian_mirror)
    log "Debian mirror (from this machine's apt sources): $mirror"
    $SUDO debootstrap --variant=minbase trixie "$root" "$mirror" >/var/log/debootstrap-ci.log 2>&1 || {
      tail -30 /var/log/debootstrap-ci.log >&2; exit 3; }
    $SUDO rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    $SUDO tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:trixie-slim >/dev/null
    $SUDO rm -rf "$root"
    log "debian:trixie-slim imported"
  fi
fi

# 3. What the remote tier needs: an sshd to reach the engine over ssh:// (started by the tests on a
#    loopback port, never as a service) and openssl for the TLS certificates.
apt_install openssh-server openssl
# The unit tests check exported notebooks with Jupyter's own reader and schema (nbformat).
apt_install python3-nbformat

# 4. gVisor (runsc), registered with the engine so `runtime: auto` picks it. dockerd runs without a
#    bridge here, so runsc must create no network itself (--network=none); a SIGHUP reloads runtimes.
apt_install runsc
# gVisor must understand the image's userland (Debian 13): releases before 2024 refuse the statx
# calls trixie's coreutils make ("Invalid argument" from stat and ls). Debian 12's runsc (20221219)
# is that old, so take Debian 13's package (a static binary) from the same mirror.
runsc_release() { runsc --version 2>/dev/null | grep -oE '[0-9]{8}' | head -n 1; }
if [ "$(runsc_release || true)" \< 20240101 ]; then
  apt_install curl xz-utils
  mirror=$(debian_mirror)
  arch=$(dpkg --print-architecture)
  log "runsc $(runsc_release) is older than the image's userland; installing Debian 13's runsc from $mirror"
  index=$(mktemp)
  deb=$(mktemp --suffix=.deb)
  curl -fsSL -o "$index" "$mirror/dists/trixie/main/binary-$arch/Packages.xz"
  file=$(xz -dc "$index" | awk '/^Package: runsc$/ {p = 1} p && /^Filename:/ {f = $2; p = 0} END {print f}')
  [ -n "$file" ] || { log "no runsc in Debian 13's package index at $mirror"; exit 3; }
  curl -fsSL -o "$deb" "$mirror/$file"
  $SUDO dpkg -i "$deb" >/dev/null
  rm -f "$index" "$deb"
  log "runsc $(runsc_release) installed"
fi
if ! docker info --format '{{json .Runtimes}}' | grep -q '"runsc"'; then
  log "registering runsc in /etc/docker/daemon.json"
  $SUDO mkdir -p /etc/docker
  $SUDO python3 - <<'PY'
import json, os
path = "/etc/docker/daemon.json"
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
config.setdefault("runtimes", {})["runsc"] = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
json.dump(config, open(path, "w"), indent=2)
PY
  $SUDO pkill -HUP -x dockerd || true
  for i in $(seq 1 20); do
    docker info --format '{{json .Runtimes}}' | grep -q '"runsc"' && break
    sleep 0.5
  done
  docker info --format '{{json .Runtimes}}' | grep -q '"runsc"' || { log "dockerd did not pick up the runsc runtime"; exit 3; }
fi
log "runtimes: $(docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}')"
