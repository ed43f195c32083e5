#!/usr/bin/env bash
# `npm test`: everything, on a fresh machine too (as root). Sets up the test world if needed,
# installs node modules if missing, then typecheck, unit tests, the envbox image and integration tests on a real dockerd.
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
# The image is built from scratch each time (its base is cached by its package list), so the one-liner
# scenario never runs against a stale archive.
# Both architectures (arm64 under qemu-user-static) and their OCI layout: integration/arm64.test.ts runs the arm64 one.
echo "== the envbox images (ENVBOX_IMAGE_ARCH=all npm run image)"
image_failed=0
rm -rf dist/envbox-image.tar dist/envbox-image-amd64.tar dist/envbox-image-arm64.tar dist/envbox-oci
ENVBOX_IMAGE_ARCH=all npm run --silent image || { image_failed=1; status=1; echo "npm run image failed: the one-liner scenario will fail too"; }
echo "== integration tests (real dockerd, registry, devices, cgroups, signals, the image's one-liner)"
npm run --silent test:integration 2>&1 | tee "$logs/integration.log" || status=1

count() { grep -h "^ℹ $1 " "$logs"/*.log | awk '{s += $3} END {print s + 0}'; }
passed=$(count pass); failed=$(count fail); skipped=$(count skipped); cancelled=$(count cancelled)
failed=$((failed + cancelled + image_failed))
[ "$failed" -gt 0 ] && status=1
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
