#!/usr/bin/env bash
# Builds Debian's own Abseil (the source of the installed package, same version and
# options) with ThreadSanitizer into DIR (default build-tsan-abseil), for
# `make test-tsan`: loaded through LD_LIBRARY_PATH, it replaces the installed
# libraries (same SONAMEs) in every process, gRPC's included, so TSan sees
# absl::Mutex's locking. Needs the Debian source archive (deb-src), which this adds.
#   scripts/tsan-abseil.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(realpath -m "${1:-build-tsan-abseil}")"
[ -f "$dir/lib/libabsl_synchronization.so" ] && { echo "$dir"; exit 0; }
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/; then
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    > /etc/apt/sources.list.d/debian-src.sources
  apt-get update -qq
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(dpkg-query -W -f='${Version}' libabsl20220623)"
(cd "$work" && apt-get source -qq --download-only "abseil=$version" >/dev/null 2>&1 &&
  dpkg-source -x -q ./*.dsc src >/dev/null 2>&1)
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  -DCMAKE_INSTALL_PREFIX="$dir" >/dev/null
cmake --build "$work/build" -j "${JOBS:-2}" >/dev/null
cmake --install "$work/build" >/dev/null
echo "$dir"
