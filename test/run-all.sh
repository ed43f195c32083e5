#!/usr/bin/env bash
# `npm test`: everything, on a fresh machine too (as root). Sets up the test world if needed,
# installs node modules if missing, then typecheck, unit tests and integration tests on a real dockerd.
# Ends with one combined line, "N passed, N failed, N skipped", over both suites.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

bash integration/world/setup.sh || { echo "test world setup failed (see above)"; exit 1; }
[ -d node_modules ] || npm ci --no-audit --no-fund || exit 1

echo "== typecheck"
npx tsc -p tsconfig.test.json --noEmit || { echo "typecheck failed"; echo "0 passed, 1 failed"; exit 1; }

status=0
echo "== unit tests"
npm run --silent test:unit 2>&1 | tee "$logs/unit.log" || status=1
echo "== integration tests (real dockerd, registry, devices, cgroups, signals)"
npm run --silent test:integration 2>&1 | tee "$logs/integration.log" || status=1

count() { grep -h "^ℹ $1 " "$logs"/*.log | awk '{s += $3} END {print s + 0}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped); cancelled=$(count cancelled)
failed=$((failed + cancelled))
[ "$failed" -gt 0 ] && status=1
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
