#!/usr/bin/env bash
# Real-browser tests of the web UI (tests/browser/ui.test.mjs), or with "screenshots" the
# README screenshots (docs/screenshots/*.png). Installs what is missing first: Debian's
# chromium (apt-get) and playwright-core from the lock file (npm ci).
#
#   bash tests/browser/run.sh               # node --test ui.test.mjs
#   bash tests/browser/run.sh screenshots   # node screenshots.mjs
# Env: HOODY_BIN (server binary; default <repo>/build/hoody-sqlite), CHROMIUM_PATH.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "Installing nodejs and npm (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

# playwright-core 1.61.1 is the newest release that runs on Node.js 18 (Debian 12's nodejs; 1.62
# and later need Node 20). An older Node.js cannot run it: say so in one line and skip the tier.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "browser tier SKIPPED: Node.js $(node --version) found, playwright-core needs Node.js >= 18 (install nodejs 18 or newer to run it)"
  [ "${1:-test}" = test ] && exit 0
  exit 1
fi

# (Re)install node deps when missing or not matching the pinned version.
want="$(node -e 'process.stdout.write(require("./package.json").devDependencies["playwright-core"])')"
have="$(node -e 'try{process.stdout.write(require("./node_modules/playwright-core/package.json").version)}catch(e){}')"
if [ "$want" != "$have" ]; then
  npm ci --no-audit --no-fund
fi

case "${1:-test}" in
  screenshots) shift; exec node screenshots.mjs "$@" ;;
  test) exec node --test ui.test.mjs ;;
  *) echo "usage: $0 [test|screenshots [output-dir]]" >&2; exit 2 ;;
esac
