#!/usr/bin/env bash
# Browser end-to-end tests of the web console (issue 3, item 6): starts `quytac serve --demo` on a
# temporary SQLite database and drives it in Debian's headless Chromium with playwright-core
# (e2e/*.test.mjs, Node's built-in test runner). Installs what is missing: chromium (apt, needs
# root), the npm dependencies from e2e/package-lock.json, and the binary (cargo build).
#
# Environment: QUYTAC_BIN (use this binary, no build), CHROMIUM_BIN, E2E_ARTIFACTS (screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_BIN:-}" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    echo "e2e: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
  CHROMIUM_BIN="$(command -v chromium)"
fi
export CHROMIUM_BIN
echo "e2e: $("$CHROMIUM_BIN" --version 2>/dev/null || echo "$CHROMIUM_BIN"), node $(node --version)" >&2

npm ci --prefix e2e --no-audit --no-fund --loglevel=error >&2

if [ -z "${QUYTAC_BIN:-}" ]; then
  cargo build -p quytac
  QUYTAC_BIN="${CARGO_TARGET_DIR:-target}/debug/quytac"
fi
QUYTAC_BIN="$(cd "$(dirname "$QUYTAC_BIN")" && pwd)/$(basename "$QUYTAC_BIN")"
export QUYTAC_BIN

# TAP on stdout: the summary ends with `# pass N` / `# fail N`; a failure makes node exit non-zero.
node --test --test-reporter=tap e2e/
