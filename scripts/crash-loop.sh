#!/usr/bin/env bash
# The crash loop's long form. A concurrent client writes posts, deletes, follows,
# blocks and mass changes to a real roostd and SIGKILLs it at random moments (from
# the client's record of what was acknowledged, some with writes in flight, some
# during a mass change's background job); after each kill roostd restarts, the
# unknown writes are retried, and every checked home timeline, list and user timeline
# is compared with a model of the acknowledged writes. At the end the whole log is
# replayed into fresh stores (--rebuild), which must answer the same.
#   scripts/crash-loop.sh [SEEDS] [KILLS_PER_SEED]    default 20 x 10 = 200 kills
# CI runs the short form (3 seeds x 10 kills) as part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-20}"
kills="${2:-10}"
make build >/dev/null
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ROOST_RESTART_SEEDS="$seeds" ROOST_RESTART_KILLS="$kills" \
  build/tests/integration/restart_test --gtest_brief=1 >"$log" 2>&1 || status=$?
grep -E '^seed [0-9]+:' "$log" || true
if [ "$status" -ne 0 ]; then
  { grep -B2 -A12 'Failure' "$log" || tail -n 40 "$log"; } | head -n 80 || true
  echo "crash-loop: FAILED (exit $status)" >&2
  exit "$status"
fi
summary=$(awk '/^seed [0-9]+:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) == "kills") k += $i
      if ($(i+1) == "writes" && $(i+2) == "acknowledged") w += $i
      if ($(i+1) == "tweets,") t += $i
    }
  } END { printf "%d kills survived, %d writes acknowledged, %d tweets checked", k, w, t }' "$log")
echo "crash-loop: $summary; 0 acknowledged writes lost, 0 doubled, every checked timeline converged"
