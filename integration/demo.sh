#!/usr/bin/env bash
# `npm run demo`: envbox's main job end to end, as root on a fresh Debian 12 machine.
# Installs what is missing (apt packages, the coder user, node_modules), builds, makes the demo
# workspace image offline, runs `envbox docker` in a sandbox with its own dockerd, and stops
# cleanly on Ctrl-C. DEMO_EXIT_AFTER_READY=1 stops by itself once the workspace is ready.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo: run as root (it starts dockerd and makes network namespaces): sudo npm run demo" >&2
  exit 1
fi
command -v node >/dev/null || { echo "demo: node (>= 20) is required" >&2; exit 1; }

step() { printf '\033[2m%s\033[0m\n' "$*"; }
step "Checking the machine (integration/world/setup.sh)..."
integration/world/setup.sh
if [ ! -d node_modules ]; then
  step "Installing node modules (npm ci)..."
  npm ci --no-audit --no-fund
fi
step "Building envbox (npm run build)..."
npm run --silent build
exec node --conditions=envbox-source --import tsx integration/harness/demo.ts
