#!/usr/bin/env bash
# The sandbox's own Python (sandbox-image/kernel/) checked as a codebase, without Docker: pyflakes
# (lint), mypy (types) and pytest (test/sandbox/: message checks, path policy, output cuts, the
# boundary's rules). Debian's packages — pyflakes3, mypy, python3-pytest — installed when missing
# (ruff is not in Debian 12's archive; pyflakes is). Run by .ci/run before anything slow.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
missing=()
for p in pyflakes3 mypy python3-pytest; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[sandbox-checks] installing ${missing[*]}" >&2
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PYTHONDONTWRITEBYTECODE=1   # nothing written into sandbox-image/ (its hash is the image tag)
PY=/usr/bin/python3   # Debian's, where the packages above are
echo "[sandbox-checks] pyflakes"
$PY -m pyflakes sandbox-image/kernel test/sandbox
echo "[sandbox-checks] mypy"
(cd sandbox-image/kernel && $PY -m mypy --ignore-missing-imports --no-error-summary --python-version 3.11 ./*.py)
echo "[sandbox-checks] pytest"
$PY -m pytest -q -p no:cacheprovider test/sandbox
