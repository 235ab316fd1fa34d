#!/usr/bin/env bash
# The client-contract tier (`make test-sdk`, part of `make test`): the official SDK
# (sdk.test.mjs) and every server example of the published CLI help (cli_examples.test.mjs),
# each against the real binary on an ephemeral port. Node's built-in test runner, no npm install.
#
# Env: HOODY_BIN (default <repo>/build/hoody-sqlite), HOODY_SDK_DIR (default
# <repo>/../shared/hoody-sdk), HOODY_SPEC_DIR (default <repo>/../shared/spec).
# Without the SDK folder the SDK file is skipped with one line; the CLI replay still runs.
set -euo pipefail
abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export HOODY_BIN="$(abs "${HOODY_BIN:-$repo/build/hoody-sqlite}")"
export HOODY_SDK_DIR="$(abs "${HOODY_SDK_DIR:-$repo/../shared/hoody-sdk}")"
export HOODY_SPEC_DIR="$(abs "${HOODY_SPEC_DIR:-$repo/../shared/spec}")"
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing nodejs (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then
  echo "tests/sdk needs Node 18 or newer (the SDK is built for Node 20); found $(node --version)" >&2
  exit 1
fi

files=(cli_examples.test.mjs)
if [ -f "$HOODY_SDK_DIR/dist-ts/generated/http-client.js" ]; then
  files+=(sdk.test.mjs)
else
  echo "SKIP official SDK tier: no SDK at $HOODY_SDK_DIR (set HOODY_SDK_DIR); the CLI replay still runs"
fi
exec node --test "${files[@]}"
