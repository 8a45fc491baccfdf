#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang, ASan and UBSan, and runs each for
# SECONDS (default 60; CI runs the short form). A crash, a sanitizer report or a broken
# invariant fails the script and leaves the input in BUILD/fuzz-artifacts/.
#   scripts/fuzz.sh [SECONDS]         e.g. scripts/fuzz.sh 3600 for a long run
# The corpus grows in BUILD/corpus/<target> (FUZZ_CORPUS=DIR to keep it elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
./scripts/install-deps.sh
if [ ! -f "$build/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DROOST_FUZZ=ON -DROOST_SANITIZE=address >/dev/null
fi
cmake --build "$build" -j "${JOBS:-2}" --target fuzzers
corpus="${FUZZ_CORPUS:-$build/corpus}"
"$build/fuzz/fuzz_seeds" "$corpus"
mkdir -p "$build/fuzz-artifacts"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
for target in log_frame_fuzz event_fuzz validation_fuzz; do
  log="$build/fuzz-artifacts/$target.log"
  if ! "$build/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" "$corpus/$target" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (input in $build/fuzz-artifacts/)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "fuzz: $target: $runs inputs in ${seconds}s, no crash, no sanitizer report ($(ls "$corpus/$target" | wc -l) in corpus)"
done
